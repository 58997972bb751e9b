/* Keyboard shortcuts for the moderation queue, as WordPress's: j/k move between comments; a approve,
   u unapprove, s spam, d trash, z restore or not spam; x select; e edit; r reply; Shift with a/u/s/d applies
   to the selected comments. Every key presses a button or follows a link that is already on the page, so
   the queue works the same without this script. */
(function () {
  "use strict";

  var table = document.querySelector(".comment-queue");
  if (!table) {
    return;
  }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody .comment-row"));
  var bulkForm = document.getElementById("bulk");
  var bulkSelect = document.getElementById("bulk-action");
  var current = -1;
  var MEMORY = "admin-current-row";

  // Things that only work with the script are shown only with it.
  Array.prototype.forEach.call(document.querySelectorAll(".select-all, .shortcuts"), function (el) {
    el.hidden = false;
  });

  var selectAll = document.getElementById("select-all");
  var boxes = function () {
    return Array.prototype.slice.call(table.querySelectorAll('tbody input[name="ids"]'));
  };
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = selectAll.checked;
      });
    });
    table.addEventListener("change", function (event) {
      if (event.target.name === "ids") {
        var all = boxes();
        var ticked = all.filter(function (box) { return box.checked; }).length;
        selectAll.checked = ticked === all.length;
        selectAll.indeterminate = ticked > 0 && ticked < all.length;
      }
    });
  }

  function moveTo(index) {
    if (!rows.length) {
      return;
    }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (rows[current]) {
      rows[current].classList.remove("is-current");
    }
    current = index;
    var row = rows[current];
    row.classList.add("is-current");
    row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function press(selector) {
    var row = rows[current];
    var control = row && row.querySelector(selector);
    if (!control) {
      return false;
    }
    try {
      // After the page comes back, carry on from the same place in the list.
      sessionStorage.setItem(MEMORY, String(current));
    } catch (e) { /* storage may be off; the shortcut still works */ }
    control.click();
    return true;
  }

  function applyToSelected(slug) {
    if (!bulkForm || !bulkSelect || !boxes().some(function (box) { return box.checked; })) {
      return false;
    }
    var option = bulkSelect.querySelector('option[value="' + slug + '"]');
    if (!option) {
      return false;
    }
    bulkSelect.value = slug;
    if (bulkForm.requestSubmit) {
      bulkForm.requestSubmit();
    } else {
      bulkForm.submit();
    }
    return true;
  }

  var ACTIONS = { a: "approve", u: "unapprove", s: "spam", d: "trash" };

  function typing(target) {
    if (target.tagName === "INPUT") {
      return !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
    }
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key.toLowerCase();
    var done = false;
    if (key === "j") {
      moveTo(current + 1);
      done = true;
    } else if (key === "k") {
      moveTo(current < 0 ? 0 : current - 1);
      done = true;
    } else if (event.shiftKey && ACTIONS[key]) {
      done = applyToSelected(ACTIONS[key]);
    } else if (current < 0) {
      return;
    } else if (ACTIONS[key]) {
      done = press('[data-action="' + ACTIONS[key] + '"]');
    } else if (key === "z") {
      done = press('[data-action="restore"], [data-action="not-spam"]');
    } else if (key === "x") {
      var box = rows[current].querySelector('input[name="ids"]');
      if (box) {
        box.click();
        done = true;
      }
    } else if (key === "e") {
      done = press('[data-action="edit"]');
    } else if (key === "r") {
      done = press('[data-action="reply"]');
    }
    if (done) {
      event.preventDefault();
    }
  });

  try {
    var remembered = sessionStorage.getItem(MEMORY);
    sessionStorage.removeItem(MEMORY);
    if (remembered !== null) {
      moveTo(parseInt(remembered, 10));
    }
  } catch (e) { /* no storage: start at the top */ }
})();
