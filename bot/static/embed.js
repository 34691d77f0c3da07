// The chat on a portal's pages, added with one tag:
//   <script src="https://HOST/embed.js" defer></script>
// It adds a floating button that opens the chat page (served next to this script) in an
// iframe. Nothing else on the portal's page is touched; styles are set on our own elements
// only, through the DOM, so a strict CSP on the portal that forbids inline styles still works.
(function () {
  "use strict";
  if (window.__thutucChatEmbed) return; // included twice: one button is enough
  window.__thutucChatEmbed = true;

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll('script[src*="embed.js"]');
    script = candidates[candidates.length - 1];
  }
  if (!script || !script.src) return;
  var CHAT_URL = new URL("./", script.src).href;
  var TITLE = "Trợ lý thủ tục hành chính";
  var OPEN_LABEL = "Mở trợ lý thủ tục hành chính";
  var CLOSE_LABEL = "Đóng trợ lý thủ tục hành chính";
  var COLOUR = "#0b4f8a";
  var VIEW_HEIGHT = window.CSS && CSS.supports && CSS.supports("height", "100dvh") ? "100dvh" : "100vh";
  var SVG = "http://www.w3.org/2000/svg";

  function style(node, rules) {
    for (var name in rules) node.style.setProperty(name, rules[name], "important");
  }

  function icon(pathData) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var CHAT_ICON = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8.5L4 22v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  var CLOSE_ICON = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";

  function start() {
    var panel = document.createElement("div");
    panel.id = "thutuc-chat-panel";
    panel.hidden = true;
    style(panel, {
      position: "fixed",
      right: "12px",
      bottom: "88px",
      width: "min(400px, calc(100vw - 24px))",
      height: "min(640px, calc(" + VIEW_HEIGHT + " - 100px))",
      "z-index": "2147483000",
      "border-radius": "16px",
      overflow: "hidden",
      background: "#fff",
      "box-shadow": "0 8px 32px rgba(0, 0, 0, 0.28)",
      display: "none",
    });

    var button = document.createElement("button");
    button.type = "button";
    button.id = "thutuc-chat-button";
    button.title = TITLE;
    button.setAttribute("aria-label", OPEN_LABEL);
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", panel.id);
    style(button, {
      position: "fixed",
      right: "16px",
      bottom: "16px",
      width: "60px",
      height: "60px",
      margin: "0",
      padding: "0",
      "z-index": "2147483001",
      display: "flex",
      "align-items": "center",
      "justify-content": "center",
      border: "0",
      "border-radius": "50%",
      background: COLOUR,
      color: "#fff",
      "box-shadow": "0 4px 16px rgba(0, 0, 0, 0.3)",
      cursor: "pointer",
    });
    button.appendChild(icon(CHAT_ICON));

    var frame = null;

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.src = CHAT_URL;
        frame.title = TITLE;
        style(frame, { width: "100%", height: "100%", border: "0", display: "block" });
        panel.appendChild(frame);
      }
      panel.hidden = false;
      style(panel, { display: "block" });
      button.setAttribute("aria-expanded", "true");
      button.setAttribute("aria-label", CLOSE_LABEL);
      button.replaceChild(icon(CLOSE_ICON), button.firstChild);
      frame.focus();
    }

    function close() {
      panel.hidden = true;
      style(panel, { display: "none" });
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-label", OPEN_LABEL);
      button.replaceChild(icon(CHAT_ICON), button.firstChild);
    }

    button.addEventListener("click", function () {
      if (panel.hidden) open();
      else close();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) {
        close();
        button.focus();
      }
    });

    document.body.appendChild(panel);
    document.body.appendChild(button);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
