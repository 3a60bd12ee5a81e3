// The reader's choice of framework: both side by side, TensorFlow only, or PyTorch only.
// Loaded in <head> without `defer`, so the choice is on <html> before the first paint and
// the hidden framework never flashes. book.css does the hiding; the control is
// book/_templates/framework-choice.html.
(function () {
  "use strict";
  var KEY = "tf-torch-book.framework";
  var CHOICES = ["both", "tf", "torch"];

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return CHOICES.indexOf(value) >= 0 ? value : "both";
    } catch (error) {
      return "both"; // storage may be disabled (private mode, strict file:// settings)
    }
  }

  function apply(choice) {
    document.documentElement.setAttribute("data-framework", choice);
    document.querySelectorAll('input[name="framework-choice"]').forEach(function (input) {
      input.checked = input.value === choice;
    });
  }

  // Hiding panes moves everything below them: keep the block the reader is looking at
  // where it was on the screen.
  function applyInPlace(choice) {
    var blocks = document.querySelectorAll("article :is(.compare, h1, h2, h3, p, li, table)");
    var shown = Array.prototype.filter.call(blocks, function (block) {
      return block.getClientRects().length > 0 && block.getBoundingClientRect().bottom > 0;
    });
    var anchor = shown.find(function (block) {
      return block.getBoundingClientRect().top >= 0; // the first block that starts on screen
    }) || shown[0];
    var before = anchor && anchor.getBoundingClientRect().top;
    apply(choice);
    if (anchor) {
      var moved = anchor.getBoundingClientRect().top - before;
      window.scrollBy({ top: moved, behavior: "instant" }); // the theme scrolls smoothly
    }
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    apply(stored());
    document.addEventListener("change", function (event) {
      if (event.target.name !== "framework-choice") return;
      applyInPlace(event.target.value);
      try {
        window.localStorage.setItem(KEY, event.target.value);
      } catch (error) {
        // the choice then holds for this page only
      }
    });
  });
  // Another tab changed the choice: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) applyInPlace(stored());
  });
})();
