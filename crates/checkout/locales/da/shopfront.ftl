# Butikkens udseende: program, priser med rabat, salsplanen og kurven. Dansk.

shop-price-from = fra { $price }
shop-sold-out = Udsolgt
shop-discount-percent = { $percent } % rabat
shop-discount-amount = { $amount } rabat
shop-discount-fixed = særpris
shop-seat-sold = solgt
shop-seat-held = reserveret
shop-seat-unavailable = ikke til salg
shop-stage = Scene
shop-row = Række
shop-legend = Pladsfarver og priser
shop-seat-map-help = Hver blok er ét stop for Tab-tasten; brug piletasterne til at flytte mellem dens pladser og mellemrumstasten til at vælge en.
shop-basket = Din kurv
shop-basket-tickets = Billetter
shop-list-prices = Billetter til listepris
shop-discount = Rabat
