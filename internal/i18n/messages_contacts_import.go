package i18n

// contactsImportMessages are the words of a contacts import's page after
// the upload: a refused file, a kept one, the job's progress and its end.
var contactsImportMessages = map[string]entry{
	"admin.contacts.import_refused_rows": {"%s rows have errors, so nothing will be imported. Fix them and upload the file again.",
		"%s righe contengono errori, quindi non verrà importato nulla. Correggile e carica di nuovo il file."},
	"admin.contacts.import_more_errors": {"%s more rows with errors are not listed.", "Altre %s righe con errori non sono elencate."},
	"admin.contacts.import_running":     {"Importing: %s of %s rows.", "Importazione: %s di %s righe."},
	"admin.contacts.import_running_hint": {"Nothing changes until every row is in. You may leave this page: the import goes on.",
		"Non cambia nulla finché tutte le righe non sono dentro. Puoi lasciare questa pagina: l'importazione continua."},
	"admin.contacts.import_refresh": {"Refresh", "Aggiorna"},
	"admin.contacts.import_done": {"Imported %s rows: %s contacts created, %s updated, %s unchanged.",
		"Importate %s righe: %s contatti creati, %s aggiornati, %s invariati."},
	"admin.contacts.import_see_contacts": {"See the contacts", "Vedi i contatti"},
	"admin.contacts.import_failed": {"The import failed, and nothing was changed. Try again in a moment.",
		"L'importazione non è riuscita e non è cambiato nulla. Riprova tra poco."},
	"admin.contacts.import_interrupted": {"The import was cut short (the server stopped), and nothing was changed. Upload the file again.",
		"L'importazione si è interrotta (il server si è fermato) e non è cambiato nulla. Carica di nuovo il file."},
	"admin.contacts.import_expired": {"This file was checked more than an hour ago: upload it again to import it.",
		"Questo file è stato controllato più di un'ora fa: caricalo di nuovo per importarlo."},
}
