# The storefront's look: programme, prices with discounts, the seat map and the basket. English.

shop-price-from = from { $price }
shop-sold-out = Sold out
shop-discount-percent = { $percent } % off
shop-discount-amount = { $amount } off
shop-discount-fixed = special price
shop-seat-sold = sold
shop-seat-held = reserved
shop-seat-unavailable = not on sale
shop-stage = Stage
shop-row = Row
shop-legend = Seat colours and prices
shop-seat-map-help = Each block is one stop for the Tab key; use the arrow keys to move between its seats and Space to choose one.
shop-basket = Your basket
shop-basket-tickets = Tickets
shop-list-prices = Tickets at list price
shop-discount = Discount
