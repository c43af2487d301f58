// Keyboard shortcuts (Gmail-like) and their help overlay ("?"). Ignored while typing.
(function () {
  "use strict";
  const help = document.getElementById("shortcuts");
  const rows = Array.from(document.querySelectorAll("table.messages tbody tr"));
  let current = -1;

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  function select(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("current", i === current));
    const link = rows[current].querySelector("a.open");
    if (link) link.focus();
    rows[current].scrollIntoView({block: "nearest"});
  }

  function press(selector) {
    const element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  function bulk(action) {
    const form = document.getElementById("bulk");
    if (!form) return false;
    const checked = form.querySelectorAll("input[name=uid]:checked");
    if (!checked.length && current >= 0) {
      const box = rows[current].querySelector("input[name=uid]");
      if (box) box.checked = true;
    }
    return press("#bulk button[value=" + action + "]");
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    let handled = true;
    if (key === "?") { if (help.open) help.close(); else help.showModal(); }
    else if (key === "c") { window.location.href = document.body.dataset.composeUrl; }
    else if (key === "/") { const search = document.getElementById("quick-q") || document.getElementById("q"); if (search) search.focus(); else handled = false; }
    else if (key === "j") { select(current + 1); }
    else if (key === "k") { select(current - 1); }
    else if ((key === "o" || key === "Enter") && current >= 0) { const link = rows[current].querySelector("a.open"); if (link) link.click(); }
    else if (key === "x" && current >= 0) { const box = rows[current].querySelector("input[name=uid]"); if (box) box.checked = !box.checked; }
    else if (key === "r") { handled = press("a[data-key=r]"); }
    else if (key === "a") { handled = press("a[data-key=a]"); }
    else if (key === "f") { handled = press("a[data-key=f]"); }
    else if (key === "e") { handled = press(".toolbar.reader-actions button[value=archive]") || bulk("archive"); }
    else if (key === "#") { handled = press(".toolbar.reader-actions button[value=delete]") || bulk("delete"); }
    else { handled = false; }
    if (handled) event.preventDefault();
  });
})();
