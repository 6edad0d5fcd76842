// The campaign form's small behaviours (served from here: the Content-Security-Policy allows no
// inline script). Listeners sit on the document, so content htmx swaps in behaves the same.

// A picker's filter box hides the choices whose text does not contain what is typed (any case,
// accents ignored); ticked choices always stay in view so nothing chosen is hidden.
function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

document.addEventListener("input", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.classList.contains("picker-filter")) {
    return;
  }
  var list = document.getElementById(box.dataset.picker || "");
  if (!list) {
    return;
  }
  var words = fold(box.value).split(/\s+/).filter(Boolean);
  var shown = 0;
  list.querySelectorAll(".picker-item").forEach(function (item) {
    var text = fold(item.textContent || "");
    var ticked = item.querySelector("input:checked") !== null;
    var match = ticked || words.every(function (w) { return text.indexOf(w) !== -1; });
    item.hidden = !match;
    if (match) { shown += 1; }
  });
  var none = list.querySelector(".picker-none");
  if (none) { none.hidden = shown > 0; }
});

// The discount's unit follows its kind: % for a percentage, the currency for an amount; no
// value at all without a discount.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!(select instanceof HTMLSelectElement) || select.id !== "discount_kind") {
    return;
  }
  var unit = document.getElementById("discount-unit");
  if (unit) {
    unit.textContent = select.value === "percent" ? "%" : (select.dataset.currency || "");
  }
  var field = document.getElementById("discount-value-field");
  if (field) { field.hidden = select.value === "none"; }
});
