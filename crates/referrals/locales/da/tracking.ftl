# Sporingslinkets egen side: en kode, der ikke fører nogen steder hen.
referral-link-not-found-title = Linket findes ikke
referral-link-not-found = Dette link fører ingen steder hen: det kan være skrevet forkert eller klippet af. Bed den, der delte det, om at sende det igen.
