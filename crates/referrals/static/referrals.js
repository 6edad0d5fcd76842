// The share panel and progress page's buttons (the Content-Security-Policy allows scripts from
// this site only, so no inline handlers). Everything works without it: the link can be selected
// and copied by hand, and the share links are plain links.
(function () {
  "use strict";
  if (window.fullhouseReferrals) return; // the panel may be on a page twice
  window.fullhouseReferrals = true;

  // Copy: the field named by `data-copy`, then the button says so for a moment.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".referral-share [data-copy]") : null;
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (!navigator.clipboard) return;
    navigator.clipboard.writeText(field.value).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || label;
      button.classList.add("copied");
      setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 1500);
    });
  });

  // The link field selects itself when focused.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.classList.contains("referral-link")) {
      target.select();
    }
  });

  // The phone's own share sheet, shown only where the browser has one.
  function showNative() {
    if (!navigator.share) return;
    document.querySelectorAll(".share-native[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".share-native") : null;
    if (!button || !navigator.share) return;
    navigator.share({ text: button.dataset.shareText || "", url: button.dataset.shareUrl || "" }).catch(function () {});
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showNative);
  } else {
    showNative();
  }
})();
