// The segment pages' behaviours, here rather than inline: the Content-Security-Policy allows
// scripts from this site only. Listeners sit on the document, so what htmx swaps in behaves the
// same.

// Moving a filter's slider (or typing its number, choosing its mode) turns the filter on: its
// fieldset names its checkbox in `data-filter-toggle`. Listened to while the event descends,
// so the box is ticked before htmx, listening on the form, reads the form for the count.
function turnFilterOn(event) {
  var target = event.target;
  if (!(target instanceof Element)) {
    return;
  }
  var fieldset = target.closest("fieldset[data-filter-toggle]");
  if (!fieldset) {
    return;
  }
  var toggle = document.getElementById(fieldset.getAttribute("data-filter-toggle"));
  if (toggle && toggle !== target && !toggle.checked) {
    toggle.checked = true;
  }
}
document.addEventListener("input", turnFilterOn, true);
document.addEventListener("change", turnFilterOn, true);

// A number and its slider show one value (`data-pair` names the other): moving either moves
// the other, and a number beyond the slider's end moves the end, so the slider never holds a
// value other than the number's.
document.addEventListener("input", function (event) {
  var target = event.target;
  if (!(target instanceof HTMLInputElement) || !target.dataset.pair) {
    return;
  }
  var other = document.getElementById(target.dataset.pair);
  if (!(other instanceof HTMLInputElement) || target.value === "") {
    return;
  }
  if (other.type === "range" && Number(target.value) > Number(other.max)) {
    other.max = target.value;
  }
  other.value = target.value;
});
