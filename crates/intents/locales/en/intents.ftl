nav-intents = Purchase intents
intent-strategy-pay-by-link = Pay by link
intent-strategy-invoice = Reserve and invoice
intent-strategy-complimentary = Complimentary
