# Promouvoir → Audiences : listes de codes, import avec correspondance des colonnes, audiences générées.

audiences-title = Audiences
audiences-intro = Des listes de codes (accès, réduction, déblocage de place ou fidélité) que les campagnes rattachent aux événements. Importez un tableur, saisissez des codes ou générez-les.
audiences-upload = Importer un fichier
audiences-generate = Générer une audience
audiences-new-blank = Nouvelle audience vide
audiences-description = Description
audiences-create = Créer l'audience
audiences-search = Rechercher une audience
audiences-empty = Aucune audience pour l'instant. Importez un fichier, générez des codes ou créez une audience vide.
audiences-no-match = Aucune audience ne correspond à cette recherche.
audiences-members = Membres
audiences-total-quantity = Utilisations au total
audiences-source = Créée par
audiences-source-blank = saisie
audiences-source-upload = import
audiences-source-generated = générateur
audiences-source-segment = vue de segment
audiences-updated = Dernière modification
audiences-summary-members = { $count } membres
audiences-summary-uses = { $count } utilisations au total
audiences-export-csv = Exporter en CSV
audiences-export-xlsx = Exporter en Excel (XLSX)
audiences-rename = Renommer ou supprimer
audiences-delete = Supprimer cette audience
audiences-delete-confirm = Supprimer cette audience et tous ses codes ?
audiences-add-member = Ajouter un code
audiences-add = Ajouter
audiences-search-members = Rechercher des codes, catégories et places
audiences-no-members = Aucun code pour l'instant.
audiences-no-member-match = Aucun code ne correspond à cette recherche.
audiences-field-code = Code
audiences-field-quantity = Quantité
audiences-field-category = Catégorie
audiences-field-seat = Place
audiences-field-customer = Client (identifiant ou e-mail)
audiences-actions = Actions
audiences-edit = Modifier
audiences-remove = Retirer
audiences-edit-member = Modifier le code
audiences-upload-help = Un CSV avec n'importe quel séparateur (virgule, point-virgule, tabulation, barre verticale) et n'importe quel encodage courant, ou une feuille Excel (XLSX, XLS) ou OpenDocument (ODS), jusqu'à 200 Mo. Colonnes : Code et Quantité (obligatoires), Catégorie, Place, Client ; vous les associez à l'étape suivante.
audiences-file = Fichier
audiences-choose-file = Choisissez un fichier à importer.
audiences-next = Suivant : associer les colonnes
audiences-mapping-title = Associer les colonnes
audiences-mapping-file = Fichier : { $file }
audiences-new-name = Nom de la nouvelle audience
audiences-header-rows = Lignes d'en-tête à ignorer
audiences-header-auto = Détecter automatiquement
audiences-header-none = Aucune : chaque ligne est un code
audiences-header-one = 1 (la première ligne nomme les colonnes)
audiences-detected = Lu comme
audiences-format-delimited = texte (CSV)
audiences-format-xlsx = classeur Excel (XLSX)
audiences-format-ods = feuille OpenDocument (ODS)
audiences-format-xls = classeur Excel 97–2003 (XLS)
audiences-separator = séparateur
audiences-header-rows-found = { $count ->
    [one] 1 ligne d'en-tête
   *[other] { $count } lignes d'en-tête
}
audiences-preview = Les premières lignes, exactement comme elles seront importées
audiences-row = Ligne
audiences-ignore-column = Ignorer cette colonne
audiences-import = Importer
audiences-generate-kind = Que générer
audiences-generate-codes = Des codes aléatoires selon un modèle
audiences-generate-barcodes = Les codes-barres des billets d'événements passés (chaque code-barre devient un code)
audiences-generate-holders = Les détenteurs de billets d'événements passés (pour une campagne de fidélité)
audiences-pattern = Modèle
audiences-pattern-help = Chaque X devient un caractère aléatoire impossible à confondre (ni 0/O, ni 1/I/L) ; au moins 4 X.
audiences-count = Nombre de codes
audiences-events = Événements (pour les codes-barres et les détenteurs)
audiences-events-help = Identifiants d'événement (evt_…), séparés par des virgules ou des espaces.

# Column mapping: a field chosen twice, the Import button, files that are no spreadsheet.
audiences-duplicate-field = Ce champ est aussi choisi pour une autre colonne : gardez-le sur une seule colonne.
audiences-duplicate-fields = Un champ est choisi pour deux colonnes.
audiences-import-codes-uses = Importer { $codes ->
    [one] 1 code
   *[other] { $codes_shown } codes
}, { $uses ->
    [one] 1 utilisation
   *[other] { $uses_shown } utilisations
}
audiences-import-codes = Importer { $codes ->
    [one] 1 code
   *[other] { $codes_shown } codes
}
audiences-not-spreadsheet-png = C'est une image PNG, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-jpeg = C'est une image JPEG, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-gif = C'est une image GIF, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-webp = C'est une image WebP, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-pdf = C'est un document PDF, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-zip = C'est une archive ZIP, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-document = C'est un document texte, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-gzip = C'est un fichier compressé (gzip), pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-program = C'est un programme, pas un tableur : importez un fichier CSV ou XLSX.
audiences-not-spreadsheet-binary = C'est un fichier binaire, pas un tableur : importez un fichier CSV ou XLSX.
audiences-used = Utilisées
audiences-remaining = Restantes
# Export headers: names the import reads back.
audiences-export-col-code = Code
audiences-export-col-quantity = Quantité
audiences-export-col-category = Catégorie
audiences-export-col-seat = Place
audiences-export-col-customer = Client
