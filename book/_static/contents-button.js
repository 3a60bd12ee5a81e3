// The page's contents behind the article header's button (the list icon), on screens too
// narrow to keep them in the right-hand column (book.css). sphinx-book-theme draws that
// button, but pydata-sphinx-theme opens its contents dialog only from the first
// `.secondary-toggle` on the page, a button in a top bar the book theme hides: pass the click
// on. A followed link closes the dialog, so the reader sees where it led.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var themeButton = document.querySelector(".secondary-toggle");
  var dialog = document.getElementById("pst-secondary-sidebar-modal");
  document.querySelectorAll(".bd-header-article .secondary-toggle").forEach(function (button) {
    if (button === themeButton) return; // the theme's own button already works
    button.addEventListener("click", function () {
      themeButton.click();
    });
  });
  if (dialog) {
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("a[href]")) dialog.close();
    });
  }
});
