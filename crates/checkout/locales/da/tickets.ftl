# Billetter: ordresidens billetter, PDF'en, mailskabelonernes navne.

tickets-heading = Dine billetter
tickets-download = Hent billetterne (PDF)
tickets-row = Række
tickets-seat = Sæde
tickets-general-admission = Fri placering
tickets-place = Plads eller område
tickets-type = Billettype
tickets-price = Pris
tickets-full-price = fuld pris
tickets-reference = Ordrereference
tickets-ticket = Billet
tickets-at-the-door = Vis QR-koden ved indgangen, på papir eller på telefonen. Hver billet giver én person adgang én gang.
tickets-not-paid = Billetterne kan hentes, når bestillingen er betalt.
template-order-confirmation = Ordrebekræftelse med billetter
template-order-cancelled = Bestilling annulleret eller refunderet
