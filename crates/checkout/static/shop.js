// The shop's small enhancements; every page works without them.
// 1. The basket's running total follows the ticked seats and typed quantities.
// 2. The seat map takes one Tab stop per block: arrow keys move between its seats (Space ticks),
//    instead of tabbing through every seat of the hall.
(function () {
  "use strict";

  function basket() {
    var form = document.getElementById("order-form");
    var box = document.getElementById("basket");
    if (!form || !box) return;
    var count = document.getElementById("basket-count");
    var total = document.getElementById("basket-total");
    var money;
    try {
      money = new Intl.NumberFormat(box.dataset.lang || "en", { style: "currency", currency: box.dataset.currency || "EUR" });
    } catch (e) {
      return;
    }
    function update() {
      var tickets = 0, sum = 0;
      form.querySelectorAll('input[name="seat"]:checked').forEach(function (seat) {
        tickets += 1;
        sum += parseInt(seat.dataset.price || "0", 10) || 0;
      });
      form.querySelectorAll('input[type="number"][data-price]').forEach(function (field) {
        var n = Math.max(0, parseInt(field.value || "0", 10) || 0);
        tickets += n;
        sum += n * (parseInt(field.dataset.price || "0", 10) || 0);
      });
      count.textContent = String(tickets);
      total.textContent = money.format(sum / 100);
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
  }

  function seatMap() {
    document.querySelectorAll(".seat-block").forEach(function (block) {
      var rows = Array.prototype.map.call(block.querySelectorAll(".seat-row"), function (row) {
        return Array.prototype.filter.call(row.querySelectorAll('input[type="checkbox"]'), function (i) { return !i.disabled; });
      }).filter(function (r) { return r.length > 0; });
      var all = [].concat.apply([], rows);
      if (all.length === 0) return;
      var current = all.filter(function (i) { return i.checked; })[0] || all[0];
      all.forEach(function (i) { i.tabIndex = i === current ? 0 : -1; });
      function moveTo(target) {
        if (!target) return;
        current.tabIndex = -1;
        target.tabIndex = 0;
        current = target;
        target.focus();
      }
      function position(input) {
        for (var r = 0; r < rows.length; r++) {
          var c = rows[r].indexOf(input);
          if (c >= 0) return [r, c];
        }
        return [0, 0];
      }
      block.addEventListener("keydown", function (event) {
        var input = event.target;
        if (!input || input.type !== "checkbox" || all.indexOf(input) < 0) return;
        var at = position(input), r = at[0], c = at[1], target = null;
        switch (event.key) {
          case "ArrowRight": target = rows[r][c + 1] || (rows[r + 1] || [])[0]; break;
          case "ArrowLeft": target = rows[r][c - 1] || (rows[r - 1] ? rows[r - 1][rows[r - 1].length - 1] : null); break;
          case "ArrowDown": if (rows[r + 1]) target = rows[r + 1][Math.min(c, rows[r + 1].length - 1)]; break;
          case "ArrowUp": if (rows[r - 1]) target = rows[r - 1][Math.min(c, rows[r - 1].length - 1)]; break;
          case "Home": target = rows[r][0]; break;
          case "End": target = rows[r][rows[r].length - 1]; break;
          default: return;
        }
        event.preventDefault();
        moveTo(target);
      });
      block.addEventListener("focusin", function (event) {
        if (all.indexOf(event.target) >= 0 && event.target !== current) moveTo(event.target);
      });
    });
  }

  function start() { basket(); seatMap(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
