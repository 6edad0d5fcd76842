# Tickets: the order page's tickets, the PDF, the mail templates' names.

tickets-heading = Your tickets
tickets-download = Download the tickets (PDF)
tickets-row = Row
tickets-seat = Seat
tickets-general-admission = General admission
tickets-place = Seat or area
tickets-type = Ticket type
tickets-price = Price
tickets-full-price = full price
tickets-reference = Order reference
tickets-ticket = Ticket
tickets-at-the-door = Show this QR code at the door, on paper or on your phone. Each ticket lets one person in once.
tickets-not-paid = The tickets can be downloaded once the order is paid.
template-order-confirmation = Order confirmation with tickets
template-order-cancelled = Order cancelled or refunded
