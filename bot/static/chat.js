// The web chat page: sends what the citizen types or presses to POST api/chat and shows the
// replies. Every text goes into the page through textContent, never as HTML, so markup in
// any message stays plain text. No framework and no build step: this file is served as is.
"use strict";

(function () {
  const API_URL = "api/chat";
  const MESSAGES_URL = "api/messages";
  // How often the page asks for messages the agency sent on its own (a petition's answer).
  const POLL_MS = 15000;
  const USER_KEY = "thutuc-chat:user";
  const HISTORY_KEY = "thutuc-chat:history";
  const MAX_HISTORY = 200;
  const TIMEOUT_MS = 30000;
  const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
  const SAFE_PROTOCOLS = ["http:", "https:", "tel:", "mailto:"];

  const TEXTS = {
    choices: "Lựa chọn",
    newTab: " (mở trong thẻ mới)",
    offline: "Xin lỗi, chưa gửi được tin nhắn vì lỗi kết nối. Bạn kiểm tra mạng rồi thử lại nhé.",
    busy: "Xin lỗi, hệ thống đang bận nên chưa trả lời được. Bạn vui lòng thử lại sau ít phút.",
    refused: "Xin lỗi, hệ thống chưa nhận được tin nhắn này. Bạn thử lại hoặc hỏi cách khác nhé.",
    retry: "Thử lại",
    confirmClear: "Xóa toàn bộ hội thoại trên thiết bị này?",
  };

  const storage = openStorage();
  const user = loadUser();
  let history = loadHistory();
  let pending = false;

  const conversation = document.getElementById("conversation");
  const list = document.getElementById("messages");
  const typing = document.getElementById("typing");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const sendButton = document.getElementById("send");

  // --- storage ------------------------------------------------------------------------------

  function openStorage() {
    // Private modes and some embedding settings refuse localStorage: keep it in memory then.
    try {
      const probe = "thutuc-chat:probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      const memory = new Map();
      return {
        getItem: (key) => (memory.has(key) ? memory.get(key) : null),
        setItem: (key, value) => memory.set(key, String(value)),
        removeItem: (key) => memory.delete(key),
      };
    }
  }

  function newUserId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function loadUser() {
    let id = storage.getItem(USER_KEY);
    if (!id || !USER_ID.test(id)) {
      id = newUserId();
      storage.setItem(USER_KEY, id);
    }
    return id;
  }

  function loadHistory() {
    try {
      const saved = JSON.parse(storage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(saved) ? saved.map(cleanMessage).filter(Boolean) : [];
    } catch (error) {
      return [];
    }
  }

  function saveHistory() {
    history = history.slice(-MAX_HISTORY);
    try {
      storage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch (error) {
      // Storage full: keep the newer half rather than nothing.
      history = history.slice(-Math.floor(MAX_HISTORY / 2));
      try {
        storage.setItem(HISTORY_KEY, JSON.stringify(history));
      } catch (ignored) {
        /* the conversation still works, it is only not kept */
      }
    }
  }

  // --- messages -----------------------------------------------------------------------------

  function isText(value) {
    return typeof value === "string";
  }

  function pairs(items, first, second) {
    if (!Array.isArray(items)) return [];
    return items
      .filter((item) => item && isText(item[first]) && isText(item[second]))
      .map((item) => ({ [first]: item[first], [second]: item[second] }));
  }

  // A message as the page keeps it, or null when `raw` is not one (old or damaged storage).
  function cleanMessage(raw) {
    if (!raw || (raw.from !== "user" && raw.from !== "bot") || !isText(raw.text)) return null;
    return {
      from: raw.from,
      text: raw.text,
      buttons: pairs(raw.buttons, "label", "payload"),
      links: pairs(raw.links, "label", "url"),
    };
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return SAFE_PROTOCOLS.includes(parsed.protocol) ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderMessage(message) {
    const item = element("li", "msg msg-" + message.from);
    item.appendChild(element("div", "bubble", message.text));

    if (message.links.length) {
      const links = element("ul", "links");
      for (const link of message.links) {
        const entry = element("li");
        const href = safeUrl(link.url);
        if (href) {
          const anchor = element("a", null, link.label);
          anchor.href = href;
          anchor.target = "_blank";
          anchor.rel = "noopener noreferrer";
          anchor.appendChild(element("span", "visually-hidden", TEXTS.newTab));
          entry.appendChild(anchor);
        } else {
          entry.textContent = link.label;
        }
        links.appendChild(entry);
      }
      item.appendChild(links);
    }

    if (message.buttons.length) {
      const group = element("div", "choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", TEXTS.choices);
      for (const button of message.buttons) {
        const choice = element("button", "choice", button.label);
        choice.type = "button";
        choice.disabled = pending;
        choice.addEventListener("click", () => press(button));
        group.appendChild(choice);
      }
      item.appendChild(group);
    }
    list.appendChild(item);
    return item;
  }

  function addMessage(raw) {
    const message = cleanMessage(raw);
    if (!message) return null;
    history.push(message);
    saveHistory();
    return renderMessage(message);
  }

  function renderAll() {
    list.textContent = "";
    history.forEach(renderMessage);
    scrollToEnd();
  }

  function scrollToEnd() {
    conversation.scrollTop = conversation.scrollHeight;
  }

  // Long answers are read from their start: show the first new reply at the top when the
  // replies do not all fit.
  function scrollToReply(first) {
    // offsetTop counts from the conversation, which is positioned (chat.css).
    const top = first.offsetTop - 56;
    const bottom = conversation.scrollHeight - conversation.clientHeight;
    conversation.scrollTop = Math.max(0, Math.min(top, bottom));
  }

  // --- sending ------------------------------------------------------------------------------

  function setPending(value) {
    pending = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    for (const choice of document.querySelectorAll(".choice")) choice.disabled = value;
  }

  function showError(text, request) {
    // Announced like any message: the list is an aria-live region.
    const item = element("li", "msg msg-bot msg-error");
    item.appendChild(element("div", "bubble", text));
    const retry = element("button", "retry", TEXTS.retry);
    retry.type = "button";
    retry.addEventListener("click", () => {
      if (pending) return;
      item.remove();
      post(request);
    });
    item.appendChild(retry);
    list.appendChild(item);
    scrollToEnd();
  }

  async function post(request) {
    setPending(true);
    scrollToEnd();
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
    let failure = null;
    let replies = [];
    try {
      const response = await fetch(API_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      if (response.ok) {
        const data = await response.json();
        replies = data && Array.isArray(data.replies) ? data.replies : [];
      } else {
        failure = response.status >= 500 || response.status === 429 ? TEXTS.busy : TEXTS.refused;
      }
    } catch (error) {
      failure = TEXTS.offline;
    } finally {
      window.clearTimeout(timer);
      setPending(false);
    }
    if (failure) {
      showError(failure, request);
      return;
    }
    let first = null;
    for (const reply of replies) {
      const node = addMessage({ from: "bot", ...reply });
      first = first || node;
    }
    if (first) scrollToReply(first);
  }

  function send(request, shown) {
    if (pending) return false;
    addMessage({ from: "user", text: shown });
    scrollToEnd();
    post({ user: user, ...request });
    return true;
  }

  function press(button) {
    send({ button: button.payload }, button.label);
  }

  function submitTyped() {
    const text = input.value.trim();
    if (!text || pending) return;
    if (send({ text: text }, text)) {
      input.value = "";
      fitInput();
    }
  }

  function fitInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 3, 140) + "px";
  }

  // --- events -------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitTyped();
  });

  input.addEventListener("keydown", (event) => {
    // Vietnamese is typed through input methods (Telex, VNI): Enter that ends a composition
    // must not send the message.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
      return;
    }
    event.preventDefault();
    submitTyped();
  });

  input.addEventListener("input", fitInput);

  for (const example of document.querySelectorAll("[data-example]")) {
    example.addEventListener("click", () => {
      const text = example.textContent.trim();
      send({ text: text }, text);
    });
  }

  document.getElementById("clear").addEventListener("click", () => {
    if (!history.length || !window.confirm(TEXTS.confirmClear)) return;
    history = [];
    saveHistory();
    renderAll();
  });

  // --- messages the agency sends on its own ----------------------------------------------

  async function fetchPending() {
    if (document.hidden) return;
    try {
      const response = await fetch(MESSAGES_URL + "?user=" + encodeURIComponent(user), {
        cache: "no-store",
      });
      if (!response.ok) return;
      const data = await response.json();
      const replies = data && Array.isArray(data.replies) ? data.replies : [];
      let first = null;
      for (const reply of replies) {
        const node = addMessage({ from: "bot", ...reply });
        first = first || node;
      }
      if (first) scrollToReply(first);
    } catch (error) {
      /* offline for now: asked again at the next tick */
    }
  }

  document.addEventListener("visibilitychange", fetchPending);
  window.setInterval(fetchPending, POLL_MS);

  renderAll();
  fetchPending();
})();
