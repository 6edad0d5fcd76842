nav-intents = Købsreservationer
intent-strategy-pay-by-link = Betaling via link
intent-strategy-invoice = Reservér og fakturér
intent-strategy-complimentary = Fribillet
