package app

import (
	"log/slog"

	"switchboard/internal/config"
	"switchboard/internal/mail"
)

// newMailer is the SMTP relay invitations are e-mailed through, or nil
// when SMTP_ADDR is not set: then links are only shown to administrators.
func newMailer(cfg config.Config, logger *slog.Logger) (*mail.Mailer, error) {
	if cfg.SMTP.Addr == "" {
		logger.Info("SMTP_ADDR is not set: invitation links are shown to administrators, not e-mailed")
		return nil, nil
	}
	return mail.New(mail.Config{Addr: cfg.SMTP.Addr, From: cfg.SMTP.From, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password})
}
