// The deals board: drag a card to another column (HTML5 drag and drop) or use its "Move
// to…" dialog; the move is posted in the background and the server's card and column heads
// replace the old ones. A refused move puts the card back and says why. Without JavaScript
// "Move to…" leads to the deal's own move form.
(function () {
  "use strict";

  var board = document.querySelector("[data-deal-board]");
  if (!board) return;
  var dialog = document.getElementById("lost-reason-dialog");
  var dragging = null;

  function columnOf(element) {
    return element.closest(".board-column");
  }

  function showMessage(text) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = text || board.getAttribute("data-error-text");
    box.hidden = false;
    window.clearTimeout(showMessage.timer);
    showMessage.timer = window.setTimeout(function () { box.hidden = true; }, 6000);
  }

  // Open columns list the longest-waiting deals first, so a moved card goes last; won and
  // lost columns list the latest first.
  function place(card, column) {
    var cards = column.querySelector(".board-cards");
    if (column.getAttribute("data-category") === "open") {
      cards.insertBefore(card, cards.querySelector(".board-more"));
    } else {
      cards.insertBefore(card, cards.firstChild);
    }
  }

  function putBack(card, origin) {
    origin.parent.insertBefore(card, origin.next);
  }

  function swapIn(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.slice.call(template.content.children).forEach(function (element) {
      var current = element.id && document.getElementById(element.id);
      if (current) current.replaceWith(element);
    });
  }

  function post(card, stageId, reason, origin) {
    var body = new FormData();
    body.append("stage", stageId);
    body.append("reason", reason || "");
    body.append("board_query", board.getAttribute("data-board-query") || "");
    body.append("next", window.location.pathname + window.location.search);
    card.classList.add("is-saving");
    // The board carries the move address of deal 0; each card its deal's id.
    var url = board.getAttribute("data-move-url").replace("/0/", "/" + card.getAttribute("data-deal") + "/");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": board.getAttribute("data-csrf"), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (text) {
        card.classList.remove("is-saving");
        if (!response.ok) {
          putBack(card, origin);
          showMessage(response.status < 500 ? text : "");
          return;
        }
        swapIn(text);
      });
    }).catch(function () {
      card.classList.remove("is-saving");
      putBack(card, origin);
      showMessage("");
    });
  }

  // A lost stage needs a reason: ask for it in the dialog; cancelling puts the card back.
  function askReason(done, cancelled) {
    if (!dialog || typeof dialog.showModal !== "function") {
      var answer = window.prompt(dialog ? dialog.querySelector("h2").textContent : "");
      if (answer && answer.trim()) done(answer.trim()); else cancelled();
      return;
    }
    var textarea = dialog.querySelector("textarea");
    textarea.value = "";
    dialog.returnValue = "";
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      var reason = textarea.value.trim();
      if (dialog.returnValue === "confirm" && reason) done(reason); else cancelled();
    });
    dialog.showModal();
    textarea.focus();
  }

  function move(card, column, reason) {
    var stageId = column.getAttribute("data-stage");
    if (stageId === card.getAttribute("data-stage")) return;
    var origin = { parent: card.parentNode, next: card.nextSibling };
    place(card, column);
    if (column.getAttribute("data-category") === "lost" && !reason) {
      askReason(function (given) { post(card, stageId, given, origin); },
                function () { putBack(card, origin); });
    } else {
      post(card, stageId, reason, origin);
    }
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card) return;
    dragging = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
  });

  board.addEventListener("dragend", function () {
    if (dragging) dragging.classList.remove("is-dragging");
    dragging = null;
    board.querySelectorAll(".is-drop-target").forEach(function (column) {
      column.classList.remove("is-drop-target");
    });
  });

  board.addEventListener("dragover", function (event) {
    var column = dragging && columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-drop-target");
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-drop-target");
  });

  board.addEventListener("drop", function (event) {
    var column = dragging && columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    column.classList.remove("is-drop-target");
    move(dragging, column, "");
  });

  // "Move to…", for the keyboard: the board's one move dialog, then the same background
  // move as a drop. (Without JavaScript the link opens the deal's own move form.)
  var moveDialog = document.getElementById("move-dialog");
  board.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-move-deal]");
    if (!link || !moveDialog || typeof moveDialog.showModal !== "function") return;
    event.preventDefault();
    var card = link.closest(".deal-card");
    var form = moveDialog.querySelector("form");
    form.elements.stage.value = card.getAttribute("data-stage");
    form.elements.reason.value = "";
    moveDialog.querySelector("[data-move-deal-name]").textContent =
      card.querySelector(".deal-card-title").textContent;
    moveDialog.returnValue = "";
    moveDialog.addEventListener("close", function onClose() {
      moveDialog.removeEventListener("close", onClose);
      if (moveDialog.returnValue !== "confirm") { link.focus(); return; }
      var column = board.querySelector(
        '.board-column[data-stage="' + form.elements.stage.value + '"]');
      if (column) move(card, column, form.elements.reason.value.trim());
      link.focus();
    });
    moveDialog.showModal();
    form.elements.stage.focus();
  });
})();
