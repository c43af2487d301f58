// Compose "À", "Cc" and "Cci" fields: directory autocomplete and one chip per recipient,
// each showing whether the address is inside the MSSanté trust space. The server decides
// again on sending; this only tells the user early. No inline script: the CSP forbids it.
(function () {
  "use strict";
  const form = document.getElementById("compose-form");
  if (!form) return;
  const problem = document.getElementById("to-problem");
  const send = document.getElementById("send");
  const template = document.getElementById("chip-template");
  const files = document.getElementById("attachments");
  const filesProblem = document.getElementById("attachments-problem");
  const pending = new Set();  // "field:address" being checked: Enter then blur must not add twice

  function tooBig() {
    if (!files) return false;
    const total = Array.from(files.files).reduce((sum, f) => sum + f.size, 0);
    const limit = Number(files.dataset.maxSize || 0);
    const over = limit > 0 && Math.ceil(total * 4 / 3) > limit;
    filesProblem.hidden = !over;
    filesProblem.textContent = over
      ? "Les pièces jointes dépassent la taille acceptée par votre opérateur (" +
        Math.round(limit / 1048576) + " Mo) : retirez-en ou envoyez-les en plusieurs messages."
      : "";
    return over;
  }

  function refreshState() {
    const bad = form.querySelectorAll(".chip-outside, .chip-malformed, .chip-unverified").length > 0;
    problem.hidden = !bad;
    send.disabled = bad || tooBig();
  }
  if (files) files.addEventListener("change", refreshState);

  function recipientField(root) {
    const name = root.dataset.field;
    const input = root.querySelector("input[role=combobox]");
    const list = root.querySelector(".suggestions");
    const chips = root.querySelector(".chips");
    let timer = null;
    let active = -1;
    let lastQuery = "";

    function closeList() {
      list.hidden = true;
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    async function addRecipient(address) {
      address = address.trim().replace(/[,;]+$/, "");
      if (!address) return;
      const key = name + ":" + address.toLowerCase();
      const typed = input.value;  // a search ("mor") picked from the list is cleared afterwards
      const existing = Array.from(chips.querySelectorAll("input[type=hidden]")).map((i) => name + ":" + i.value.toLowerCase());
      if (input.value.trim().replace(/[,;]+$/, "").toLowerCase() === address.toLowerCase()) input.value = "";
      if (existing.includes(key) || pending.has(key)) { closeList(); return; }
      pending.add(key);
      let verdict;
      try {
        const response = await fetch(form.dataset.checkUrl + "?a=" + encodeURIComponent(address),
                                     {headers: {"Accept": "application/json"}});
        verdict = await response.json();
      } finally {
        pending.delete(key);
      }
      const chip = template.content.firstElementChild.cloneNode(true);
      chip.classList.add("chip-" + verdict.kind);
      chip.dataset.kind = verdict.kind;
      chip.title = verdict.message;
      chip.querySelector(".chip-address").textContent = verdict.address;
      if (verdict.name) {
        const person = chip.querySelector(".chip-name");
        person.textContent = verdict.name;
        person.hidden = false;
      }
      chip.querySelector(".chip-reason").textContent = " — " + verdict.message;
      const hidden = chip.querySelector("input");
      hidden.name = name;
      hidden.value = verdict.address;
      chip.querySelector("button").setAttribute("aria-label", "Retirer " + verdict.address);
      chips.appendChild(chip);
      if (input.value === typed) input.value = "";
      closeList();
      refreshState();
      // Back to the field for the next recipient, unless the user has moved on meanwhile.
      if (document.activeElement === input || document.activeElement === document.body) input.focus();
    }

    function render(results) {
      list.innerHTML = "";
      results.forEach((r, index) => {
        const option = document.createElement("li");
        option.setAttribute("role", "option");
        option.id = name + "-option-" + index;
        option.dataset.address = r.address;
        const person = document.createElement("strong");
        person.textContent = r.name;
        const details = document.createElement("span");
        details.className = "muted";
        details.textContent = [r.profession, r.structure, [r.postcode, r.city].join(" ").trim()]
          .filter(Boolean).join(" · ");
        const address = document.createElement("code");
        address.textContent = r.address;
        option.append(person, " ", details, document.createElement("br"), address);
        option.addEventListener("mousedown", (event) => { event.preventDefault(); addRecipient(r.address); });
        list.appendChild(option);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", i === active ? "true" : "false"));
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 2 || query.includes(",")) { closeList(); return; }
      timer = setTimeout(async () => {
        lastQuery = query;
        const response = await fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(query),
                                     {headers: {"Accept": "application/json"}});
        const data = await response.json();
        if (lastQuery === query) render(data.results);
      }, 150);
    });

    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { closeList(); }
      else if (event.key === "Enter" || event.key === "," || event.key === ";" || event.key === "Tab") {
        const options = list.querySelectorAll("[role=option]");
        if (active >= 0 && options[active]) { event.preventDefault(); addRecipient(options[active].dataset.address); }
        else if (input.value.includes("@")) { event.preventDefault(); addRecipient(input.value); }
        else if (event.key === "Enter") { event.preventDefault(); }
      } else if (event.key === "Backspace" && !input.value && chips.lastElementChild) {
        chips.lastElementChild.remove();
        refreshState();
      }
    });

    input.addEventListener("blur", () => {
      if (input.value.includes("@")) addRecipient(input.value);
      setTimeout(closeList, 150);
    });

    chips.addEventListener("click", (event) => {
      if (event.target.classList.contains("chip-remove")) {
        event.preventDefault();  // a submit button, for browsers without JavaScript
        event.target.closest(".chip").remove();
        refreshState();
        input.focus();
      }
    });

    form.addEventListener("submit", (event) => {
      if (input.value.includes("@")) { event.preventDefault(); addRecipient(input.value); }
    });
  }

  form.querySelectorAll(".field.recipients").forEach(recipientField);

  // Cc and Cci fold away while empty (Gmail's way); "Cc" / "Cci" beside "À" unfold them.
  // Without this script all three show.
  form.querySelectorAll("[data-foldable]").forEach((field) => {
    const toggle = form.querySelector("[data-show=" + field.dataset.field + "]");
    if (!toggle) return;
    field.hidden = true;
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      field.hidden = false;
      toggle.hidden = true;
      field.querySelector("input[role=combobox]").focus();
    });
  });
  refreshState();

  // Drafts: saved to the operator's Drafts folder every few seconds after a change, and
  // when the page is left, so that nothing typed is lost.
  const draftUid = document.getElementById("draft-uid");
  const draftState = document.getElementById("draft-state");
  let saving = false;
  let sending = false;
  form.addEventListener("submit", () => { sending = true; });

  // What was last saved (at first: what the server rendered). Comparing snapshots rather
  // than listening for input also catches what was typed before this script ran.
  function chosenFiles() {
    return files ? Array.from(files.files).map((f) => f.name + ":" + f.size).join("/") : "";
  }
  function snapshot(useDefaults) {
    return ["subject", "body"].map((name) => {
      const field = form.elements[name];
      return useDefaults ? field.defaultValue : field.value;
    }).join("\u0000") + "\u0000" + Array.from(form.querySelectorAll(".chips input[type=hidden]"))
      .map((i) => i.name + ":" + i.value).join(",")
      + "\u0000" + (useDefaults ? "" : chosenFiles()) + "\u0000"
      + Array.from(form.querySelectorAll("input[name=keep]:checked")).map((i) => i.value).join(",");
  }
  let saved = snapshot(true);
  function isDirty() { return snapshot(false) !== saved; }

  function draftData(withFiles) {
    const data = new FormData(form);
    if (!withFiles) data.delete("attachments");
    return data;
  }

  // Once saved, the chosen files live in the draft: list them as its attachments (kept
  // from there) and empty the file field, so they are not uploaded again.
  function adoptAttachments(result) {
    const kept = document.getElementById("kept-files");
    if (!result.attachments || !result.origin || !kept) return;
    form.elements.origin.value = result.origin;
    form.elements.forward.value = "draft";
    kept.querySelector("legend").textContent = kept.dataset.legendDraft;
    const list = kept.querySelector("ul");
    list.innerHTML = "";
    result.attachments.forEach((a) => {
      const item = document.createElement("li");
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "keep";
      box.value = a.part_id;
      box.checked = true;
      label.append(box, " " + a.filename);
      const info = document.createElement("span");
      info.className = "muted";
      info.textContent = " " + a.content_type + " · " + Math.max(1, Math.round(a.size / 1024)) + " Ko";
      item.append(label, info);
      list.appendChild(item);
    });
    kept.hidden = false;
    if (files) files.value = "";
  }

  async function saveDraft() {
    if (!isDirty() || saving || sending) return;
    saving = true;
    const withFiles = chosenFiles() !== "" && !tooBig();  // too big: the text is still saved
    const before = snapshot(false);
    try {
      const response = await fetch(form.dataset.draftUrl, {method: "POST", body: draftData(withFiles),
                                                           headers: {"Accept": "application/json"}});
      const result = await response.json();
      if (response.ok) {
        if (result.draft_uid) draftUid.value = result.draft_uid;
        const typedMeanwhile = snapshot(false) !== before;
        adoptAttachments(result);
        saved = typedMeanwhile ? "" : snapshot(false);
        draftState.textContent = "Brouillon enregistré à " + result.saved_at;
      } else {
        draftState.textContent = result.error || "Brouillon non enregistré.";
      }
    } catch (error) {
      draftState.textContent = "Brouillon non enregistré : connexion perdue, nouvel essai bientôt.";
    } finally {
      saving = false;
    }
  }
  setInterval(saveDraft, 5000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && isDirty() && !sending) {
      navigator.sendBeacon(form.dataset.draftUrl, draftData(false));
      saved = snapshot(false);
    }
  });
})();

// The signature follows the chosen mailbox; simple rich text (bold, italic, underline,
// lists, links) kept in step with a text version; attachments uploaded with a progress bar.
(function () {
  "use strict";
  const form = document.getElementById("compose-form");
  if (!form) return;
  const body = document.getElementById("body");
  const from = document.getElementById("mailbox");
  const editor = document.getElementById("editor");
  const toolbar = form.querySelector(".editor-toolbar");
  const toggle = document.getElementById("rich-toggle");
  const html = document.getElementById("html");
  const send = document.getElementById("send");
  const DELIMITER = "-- \n";
  let rich = false;

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function textToHtml(text) { return escape(text).replace(/\n/g, "<br>"); }
  function sync() {
    if (!rich) return;
    body.value = editor.innerText;
    html.value = editor.innerHTML;
  }
  function setRich(on) {
    rich = on;
    if (on) {
      editor.innerHTML = html.value || textToHtml(body.value);
    } else {
      body.value = editor.innerText;
      html.value = "";
    }
    editor.hidden = !on;
    toolbar.hidden = !on;
    body.hidden = on;
    toggle.setAttribute("aria-pressed", String(on));
    (on ? editor : body).focus();
  }
  if (editor && toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => setRich(!rich));
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-command]");
      if (!button) return;
      let value = null;
      if (button.dataset.command === "createLink") {
        value = window.prompt(button.dataset.prompt, "https://");
        if (!value) return;
      }
      editor.focus();
      document.execCommand(button.dataset.command, false, value);
      sync();
    });
    editor.addEventListener("input", sync);
    form.addEventListener("submit", sync, true);
    if (html.value) setRich(true);
  }

  // Changing "De" swaps the signature when it is still the one that was put there.
  let signature = from && from.selectedOptions[0] ? from.selectedOptions[0].dataset.signature || "" : "";
  if (from) {
    from.addEventListener("change", () => {
      const next = from.selectedOptions[0].dataset.signature || "";
      const before = signature ? DELIMITER + signature : "";
      const after = next ? DELIMITER + next : "";
      if (rich) {
        if (before && editor.innerHTML.includes(textToHtml(before))) {
          editor.innerHTML = editor.innerHTML.replace(textToHtml(before), textToHtml(after));
        }
        sync();
      } else if (before && body.value.includes(before)) {
        body.value = body.value.replace(before, after);
      } else if (after && !before) {
        body.value = "\n\n" + after + "\n" + body.value;
      }
      signature = next;
    });
  }

  // Attachments: sent with XMLHttpRequest to show the upload's progress.
  const files = document.getElementById("attachments");
  const progress = document.getElementById("upload-progress");
  const state = document.getElementById("upload-state");
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented || !files || !files.files.length || !window.FormData) return;
    event.preventDefault();
    sync();
    const target = form.action || window.location.href;
    const request = new XMLHttpRequest();
    request.open("POST", target);
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round(e.loaded * 100 / e.total);
      progress.hidden = false;
      progress.value = percent;
      state.textContent = progress.dataset.label + " " + percent + " %";
    });
    request.addEventListener("load", () => {
      if (request.responseURL && request.responseURL !== target) {
        window.location.assign(request.responseURL);  // sent: the outbox
        return;
      }
      document.open();  // refused (recipients, size): the server's page says why
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", () => {
      progress.hidden = true;
      state.textContent = progress.dataset.lost;
      send.disabled = false;
    });
    send.disabled = true;
    request.send(new FormData(form));
  });
})();
