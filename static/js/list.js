// The message list: sort and conversation options apply at once, and messages move by
// drag and drop onto a folder (the selected ones when the dragged row is selected). Without
// JavaScript the "Appliquer" button and the "Déplacer" menu do the same.
(function () {
  "use strict";
  const options = document.getElementById("list-options");
  if (options) {
    options.querySelectorAll("[data-autosubmit-hide]").forEach((b) => { b.hidden = true; });
    options.addEventListener("change", () => options.requestSubmit());
  }

  const bulk = document.getElementById("bulk");
  const folders = document.getElementById("folders");
  if (!bulk || !folders || !folders.dataset.moveUrl) return;
  const TYPE = "application/x-mssante-uids";

  function draggedUids(row) {
    const box = row.querySelector("input[name=uid]");
    if (box && box.checked) {
      return Array.from(bulk.querySelectorAll("input[name=uid]:checked"), (b) => b.value);
    }
    return [box ? box.value : row.dataset.uid];  // a conversation row: all its messages
  }

  bulk.querySelectorAll("tbody tr[draggable=true]").forEach((row) => {
    row.addEventListener("dragstart", (event) => {
      const uids = draggedUids(row);
      event.dataTransfer.setData(TYPE, JSON.stringify(uids));
      event.dataTransfer.setData("text/plain", uids.length + " message(s)");
      event.dataTransfer.effectAllowed = "move";
      row.classList.add("dragging");
    });
    row.addEventListener("dragend", () => row.classList.remove("dragging"));
  });

  folders.querySelectorAll("a[data-folder]").forEach((link) => {
    if (link.getAttribute("aria-current") === "page") return;
    link.addEventListener("dragover", (event) => {
      if (!event.dataTransfer.types.includes(TYPE)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      link.classList.add("drop-target");
    });
    link.addEventListener("dragleave", () => link.classList.remove("drop-target"));
    link.addEventListener("drop", (event) => {
      link.classList.remove("drop-target");
      const raw = event.dataTransfer.getData(TYPE);
      if (!raw) return;
      event.preventDefault();
      const form = document.createElement("form");
      form.method = "post";
      form.action = folders.dataset.moveUrl;
      form.hidden = true;
      const fields = {csrfmiddlewaretoken: bulk.querySelector("input[name=csrfmiddlewaretoken]").value,
        action: "move", destination: link.dataset.folder};
      Object.entries(fields).forEach(([name, value]) => {
        const input = document.createElement("input");
        input.name = name;
        input.value = value;
        form.appendChild(input);
      });
      JSON.parse(raw).forEach((uid) => {
        const input = document.createElement("input");
        input.name = "uid";
        input.value = uid;
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  });
})();
