// The message frame takes its content's height: no empty box under a two-line message, no
// scroll area inside the page for a long one, and the whole message printed. The frame's
// document is same-origin but runs no script (sandbox without allow-scripts, and its own
// CSP): this page measures it. Without this script the frame keeps its CSS height.
(function () {
  "use strict";
  document.querySelectorAll("iframe.message-body").forEach((frame) => {
    let observer = null;
    function fit() {
      let doc = null;
      try { doc = frame.contentDocument; } catch (error) { return; }
      if (!doc || !doc.body) return;
      const height = Math.max(doc.body.scrollHeight, doc.documentElement.offsetHeight);
      frame.classList.add("sized");
      frame.style.height = Math.max(64, Math.ceil(height) + 2) + "px";
    }
    function watch() {
      fit();
      let doc = null;
      try { doc = frame.contentDocument; } catch (error) { return; }
      if (!doc || !doc.body || !window.ResizeObserver) return;
      if (observer) observer.disconnect();
      observer = new ResizeObserver(fit);  // images arriving, the window narrowed
      observer.observe(doc.body);
    }
    frame.addEventListener("load", watch);
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") watch();
    window.addEventListener("beforeprint", fit);
  });
})();
