# Les mots du moteur : ce que disent un import, une correspondance de colonnes ou une tâche.

## Emplacements
engine-at-row = ligne { $row }, { $field }
engine-at-row-value = ligne { $row }, { $field } `{ $value }`
engine-place-reason = { $place } : { $reason }
engine-and-more = { $first } (et { $more } de plus)

## Nombres dans les cellules
engine-empty = est vide
engine-not-whole-number = `{ $value }` n’est pas un nombre entier
engine-number-too-large = `{ $value }` est un nombre trop grand
engine-number-two-ways = `{ $value }` se lit de deux façons : { $thousands } (`{ $mark }` sépare les milliers) ou { $decimal } (`{ $mark }` comme séparateur décimal) ; écrivez { $thousands } sans `{ $mark }`, ou le nombre avec moins de décimales

## Fichiers
engine-file-xls = est un ancien classeur Excel 97–2003 (.xls), que cet import ne lit pas ; enregistrez-le en .xlsx (classeur Excel) ou en CSV et téléversez-le à nouveau
engine-file-unreadable = n’est pas une feuille de calcul { $kind } lisible
engine-file-unreadable-because = n’est pas une feuille de calcul { $kind } lisible : { $detail }
engine-file-is-spreadsheet = est une feuille de calcul ; cet import lit des fichiers CSV (enregistrez la feuille en CSV)
engine-file-no-rows = ne contient aucune ligne à importer
engine-sheet-cut-short = la feuille n’a pas pu être lue jusqu’au bout
engine-row-unreadable = illisible : { $detail }
engine-rows-out-of-order = la feuille place la ligne { $row } après la ligne { $previous } ; ouvrez le fichier dans un tableur et enregistrez-le à nouveau
engine-row-too-big = une ligne de plus de 1 Mio de texte ; cet import lit des lignes d’au plus 1 Mio
engine-line-too-long = une ligne de plus de 1 Mio ; cet import lit des lignes d’au plus 1 Mio
engine-unclosed-quote = un champ entre guillemets commence ici et n’est jamais fermé (un `"` manque)
engine-cell-too-long = une cellule de plus de { $max } caractères ; une cellule contient au plus { $max } caractères
engine-cell-too-far-right = une cellule dans la colonne { $column } ; cet import lit au plus { $max } colonnes
engine-row-wider-than-header = a { $fields } champs mais l’en-tête en a { $header }
engine-too-many-rows = trop de lignes ; au plus { $max }

## Correspondance des colonnes
engine-mapping-unknown-field = `{ $choice }` n’est pas un champ ; choisissez parmi { $fields } ou `ignore`
engine-mapping-chosen-twice = `{ $field }` est déjà choisi pour une autre colonne
engine-mapping-required = aucune colonne ne correspond à ce champ obligatoire ; choisissez-lui une colonne

## Un import comme tâche
engine-import-checked = { $rows } lignes vérifiées
engine-import-written = { $rows } lignes importées
engine-import-written-refused = { $rows } lignes importées, { $refused } refusées
engine-import-rows-refused = { $finished } ; { $refused ->
    [one] 1 ligne refusée
   *[other] { $refused } lignes refusées
  } (voir { $file })
engine-import-nothing-imported = rien n’a été importé : { $rows ->
    [one] 1 ligne du fichier contient des erreurs.
   *[other] { $rows } lignes du fichier contiennent des erreurs.
  }
engine-import-more-problems = … et d’autres : voir { $file } ({ $errors } erreurs y sont listées).

## Codes d’une audience
engine-code-empty = est vide ; chaque membre doit avoir un code
engine-code-too-long = dépasse { $max } caractères
engine-code-control-character = contient un caractère de contrôle (une tabulation ou un saut de ligne dans le code)
engine-quantity-empty = est vide ; chaque membre doit avoir une quantité
engine-quantity-too-small = doit être 1 ou plus (elle vaut { $quantity })
engine-quantity-too-large = doit être au plus { $max }
engine-code-in-audience = le code { $code } est déjà dans cette audience
engine-code-twice-in-file = le code { $code } figure deux fois dans le fichier (d’abord à la ligne { $first })
engine-no-such-customer = aucun client `{ $reference }` dans cette organisation (indiquez un identifiant client ou un e-mail)
engine-not-a-category = `{ $category }` n’est pas une catégorie du lieu ou des événements de cette audience
engine-not-a-seat-label = `{ $seat }` n’est pas une place du lieu de cette audience
engine-audience-imported = { $rows } membres importés dans { $audience }

## Ticket intents imported
engine-intents-dry-run = essai : { $tickets ->
    [one] 1 billet serait réservé
   *[other] { $tickets } billets seraient réservés
  }, rien n’a été réservé
engine-intents-booked = { $tickets ->
    [one] 1 billet réservé
   *[other] { $tickets } billets réservés
  } dans { $intents ->
    [one] 1 intention
   *[other] { $intents } intentions
  }
engine-intents-already-imported = { $booked } ; { $already ->
    [one] 1 ligne déjà importée
   *[other] { $already } lignes déjà importées
  }

## Tâches : titres et types
engine-job-title-audience-new = Importer l’audience { $audience } depuis { $file }
engine-job-title-audience-into = Importer { $file } dans l’audience { $audience }
engine-job-title-intents = Importer des intentions depuis { $file }
engine-job-title-intents-dry-run = Essai d’import d’intentions depuis { $file }
engine-job-title-mail = Envoi des e-mails
engine-job-title-demo = Tâche de démonstration ({ $steps } étapes)
engine-mail-handled = { $count } messages traités
engine-demo-counted = { $done } sur { $steps } comptés
engine-job-cancelled = la tâche a été annulée
engine-job-no-handler = ce type de tâche ne peut pas s’exécuter ici (aucun gestionnaire pour { $kind })
job-kind-audiences-import = Import d’audience
job-kind-intents-import = Import de billets
job-kind-mail-deliver = Envoi d’e-mails
job-kind-demo-count = Tâche de démonstration
job-kind-segments-audience = Actualisation d’une audience de segment
job-kind-segments-tag = Étiquetage de clients
job-kind-segments-untag = Retrait d’une étiquette
job-kind-segments-export = Export de segment
job-kind-segments-push = Envoi vers un outil marketing
job-kind-segments-send = Envoi à un segment
job-kind-referrals-backdate = Rétrodatage des parrainages
job-kind-other = Tâche de fond

## The Jobs page
jobs-stopped-at = { $done } sur { $total } à l’arrêt
jobs-just-started = Vient de démarrer
