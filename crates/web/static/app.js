// The few behaviours the pages need beyond htmx, here rather than in inline handlers: the
// Content-Security-Policy of every page allows scripts from this site only (`script-src 'self'`).
// Listeners sit on the document, so content htmx swaps in later behaves the same.

// A range slider shows its value in the <output> its `data-output` names.
document.addEventListener("input", function (event) {
  var target = event.target;
  if (target instanceof HTMLInputElement && target.dataset.output) {
    var output = document.getElementById(target.dataset.output);
    if (output) {
      output.value = target.value;
    }
  }
});

// A field marked `data-select-on-focus` (a secret shown once) is selected when focused.
document.addEventListener("focusin", function (event) {
  var target = event.target;
  if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) {
    target.select();
  }
});

// A button with `data-confirm` asks before its form is sent.
document.addEventListener("click", function (event) {
  var button = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A button with `data-copy="<selector>"` copies that field's value (a payment link), and says so
// with its `data-copied` text for a moment.
document.addEventListener("click", function (event) {
  var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) {
    return;
  }
  var field = document.querySelector(button.getAttribute("data-copy"));
  if (!field || !navigator.clipboard) {
    if (field) { field.select(); }
    return;
  }
  navigator.clipboard.writeText(field.value).then(function () {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied") || label;
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});
