/* Move the Leave a Reply form under the comment being answered, as WordPress's comment-reply script does.
 * Without this script the Reply links still work: they load ?replytocom=ID, where the server places the form.
 * After a failed post, focus the error summary so that it is seen and read out.
 * Preview: without this script the button posts the form and the page comes back with the preview above
 * it; with it, the same request is made in the background and its preview shown in place. */
(function () {
  "use strict";

  function start() {
    var respond = document.getElementById("respond");
    if (!respond) {
      return;
    }
    var parentInput = document.getElementById("comment_parent");
    var cancel = document.getElementById("cancel-comment-reply-link");
    var titleText = document.getElementById("reply-title-text");
    var defaultTitle = respond.getAttribute("data-title-reply") || "Leave a Reply";

    function home() {
      var spot = document.getElementById("wp-temp-form-div");
      if (!spot) {
        spot = document.createElement("div");
        spot.id = "wp-temp-form-div";
        spot.hidden = true;
        respond.parentNode.insertBefore(spot, respond);
      }
      return spot;
    }

    function setTitle(text, commentId, name) {
      if (!titleText) {
        return;
      }
      titleText.textContent = text;
      if (commentId) {
        var link = document.createElement("a");
        link.href = "#comment-" + commentId;
        link.textContent = name;
        titleText.appendChild(link);
      }
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".comment-reply-link") : null;
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      var below = document.getElementById(link.getAttribute("data-belowelement"));
      var commentId = link.getAttribute("data-commentid");
      if (!below || !parentInput || !commentId) {
        return;
      }
      event.preventDefault();
      home();
      below.parentNode.insertBefore(respond, below.nextSibling);
      parentInput.value = commentId;
      var name = (link.getAttribute("data-replyto") || "").replace(/^Leave a Reply to /, "");
      setTitle("Leave a Reply to ", commentId, name);
      if (cancel) {
        cancel.hidden = false;
      }
      var textarea = document.getElementById("comment");
      if (textarea) {
        textarea.focus();
      }
    });

    if (cancel) {
      cancel.addEventListener("click", function (event) {
        var spot = document.getElementById("wp-temp-form-div");
        if (!spot) {
          return; // the form is at home already; let the link do its work
        }
        event.preventDefault();
        spot.parentNode.insertBefore(respond, spot);
        spot.parentNode.removeChild(spot);
        if (parentInput) {
          parentInput.value = "0";
        }
        setTitle(defaultTitle);
        cancel.hidden = true;
        var textarea = document.getElementById("comment");
        if (textarea) {
          textarea.focus();
        }
      });
    }

    var previewButton = document.getElementById("preview");
    var form = document.getElementById("commentform");
    if (previewButton && form && window.fetch && window.FormData && window.DOMParser) {
      previewButton.addEventListener("click", function (event) {
        event.preventDefault();
        var data = new FormData(form);
        data.append("preview", previewButton.value);
        previewButton.disabled = true;
        fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
          .then(function (response) {
            return response.text();
          })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html");
            var shown = fresh.getElementById("comment-preview");
            var old = document.getElementById("comment-preview");
            if (!shown) {
              // Not valid (or the token expired): let the page itself say why, as without JavaScript.
              previewButton.disabled = false;
              form.requestSubmit ? form.requestSubmit(previewButton) : form.submit();
              return;
            }
            shown = document.importNode(shown, true);
            if (old) {
              old.parentNode.replaceChild(shown, old);
            } else {
              form.parentNode.insertBefore(shown, form);
            }
            previewButton.disabled = false;
            shown.focus();
          })
          .catch(function () {
            previewButton.disabled = false;
          });
      });
    }

    var summary = respond.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
