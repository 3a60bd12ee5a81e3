// The concordance's filter box (book/_ext/concordance.py adds this file to that page only,
// in the HTML build). Typing narrows every table to the rows whose text holds each word
// typed; a category left without rows is hidden. Plain DOM, nothing loaded: works from file://.
document.addEventListener("DOMContentLoaded", () => {
  const tables = document.querySelector(".concordance");
  if (!tables) return;
  const rows = Array.from(tables.querySelectorAll("tbody tr"));
  const texts = rows.map((row) => row.textContent.toLowerCase());
  const box = document.createElement("div");
  box.className = "concordance-filter";
  box.innerHTML =
    '<label>Filter rows: <input type="search" placeholder="tf.concat, torch.cat, loss ..."' +
    ' aria-describedby="concordance-count"></label> <span id="concordance-count"></span>';
  tables.before(box);
  const input = box.querySelector("input");
  const count = box.querySelector("#concordance-count");
  const update = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row, i) => {
      row.hidden = !words.every((word) => texts[i].includes(word));
      shown += row.hidden ? 0 : 1;
    });
    tables.querySelectorAll("section").forEach((section) => {
      section.hidden = !section.querySelector("tbody tr:not([hidden])");
    });
    count.textContent = `${shown} of ${rows.length} rows`;
  };
  input.addEventListener("input", update);
  update();
});
