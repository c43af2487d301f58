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

  // New mail pushed (issue 28): the mailbox's event stream says a sync brought something,
  // and the status is asked at once. If the stream cannot be held (the server answers 204,
  // a proxy cuts it for good), the page polls every 5 s as it did before push.
  const live = document.getElementById("live");
  if (live && live.dataset.events && window.EventSource && window.htmx) {
    const stream = new EventSource(live.dataset.events);
    stream.addEventListener("changed", () => window.htmx.trigger(live, "mss:changed"));
    stream.addEventListener("error", () => {
      if (stream.readyState !== EventSource.CLOSED || live.dataset.polling) return;
      live.dataset.polling = "1";
      window.setInterval(() => window.htmx.trigger(live, "mss:changed"), 5000);
    });
    window.addEventListener("pagehide", () => stream.close());
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

  function draggable(row) {
    row.addEventListener("dragstart", (event) => {
      const uids = draggedUids(row);
      event.dataTransfer.setData(TYPE, JSON.stringify(uids));
      event.dataTransfer.setData("text/plain", uids.length + " message(s)");
      event.dataTransfer.effectAllowed = "move";
      row.classList.add("dragging");
    });
    row.addEventListener("dragend", () => row.classList.remove("dragging"));
  }
  bulk.querySelectorAll("tbody tr[draggable=true]").forEach(draggable);

  // New mail: the poll (#live, every few seconds) brings the rows that arrived since the
  // page was drawn; they go to the top of the list, and the next poll asks from the newest.
  const rows = document.getElementById("rows");
  const since = document.getElementById("live-since");
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (!rows || !since || event.detail.target.id !== "live") return;
    const arrived = event.detail.target.querySelector("template#arrived");
    if (!arrived) return;
    const fresh = Array.from(arrived.content.querySelectorAll("tr[data-uid]"));
    const known = new Set(Array.from(rows.querySelectorAll("tr[data-uid]"), (r) => r.dataset.uid));
    fresh.reverse().forEach((row) => {
      if (known.has(row.dataset.uid)) return;
      row.classList.add("arrived");
      draggable(row);
      rows.prepend(row);
    });
    const newest = Math.max(Number(since.value) || 0, ...fresh.map((r) => Number(r.dataset.uid)));
    since.value = String(newest);
    arrived.remove();
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
