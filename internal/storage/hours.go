package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/hours"
)

// A number's business hours and holidays, in the number's time zone (the
// tenant's when the number names none). The rules are internal/hours'; the
// store checks them again before writing, whoever calls, and audits each
// change with what was there before.

// Schedule is a number's business hours as stored.
type Schedule struct {
	TimeZone     string // the number's own; "" means the tenant's
	TenantZone   string
	Hours        []hours.Range // by weekday, then opening
	Holidays     []hours.Holiday
	HolidaysFrom string // holidays listed from this day (the number's today)
}

// Zone is the time zone the schedule is read in.
func (s Schedule) Zone() string {
	if s.TimeZone != "" {
		return s.TimeZone
	}
	return s.TenantZone
}

// Location loads Zone; UTC if it no longer loads.
func (s Schedule) Location() *time.Location {
	if loc, err := hours.LoadZone(s.Zone()); err == nil {
		return loc
	}
	return time.UTC
}

// OpenAt reports whether the number is open at t (hours.OpenAt).
func (s Schedule) OpenAt(t time.Time) bool { return hours.OpenAt(s.Hours, s.Holidays, s.Location(), t) }

// NumberSchedule returns a number's time zone, weekly hours and holidays
// (every one, past ones too: OpenAt needs only the day's). ErrNotFound for
// a number the tenant does not have.
func (s *Store) NumberSchedule(ctx context.Context, tenantID, numberID string) (Schedule, error) {
	var sc Schedule
	if !domain.ValidID(numberID) {
		return sc, ErrNotFound
	}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		sc, err = readSchedule(ctx, tx, tenantID, numberID, false)
		return err
	})
	return sc, err
}

func readSchedule(ctx context.Context, tx pgx.Tx, tenantID, numberID string, lock bool) (Schedule, error) {
	var sc Schedule
	q := `SELECT n.time_zone, t.time_zone FROM numbers n JOIN tenants t ON t.id = n.tenant_id WHERE n.tenant_id = $1 AND n.id = $2`
	if lock {
		q += ` FOR UPDATE OF n`
	}
	if err := tx.QueryRow(ctx, q, tenantID, numberID).Scan(&sc.TimeZone, &sc.TenantZone); err != nil {
		return sc, notFound(err)
	}
	rows, err := tx.Query(ctx, `SELECT weekday, opens, closes FROM business_hours
		WHERE tenant_id = $1 AND number_id = $2 ORDER BY weekday, opens`, tenantID, numberID)
	if err != nil {
		return sc, err
	}
	for rows.Next() {
		var r hours.Range
		var wd, opens, closes int16
		if err := rows.Scan(&wd, &opens, &closes); err != nil {
			return sc, err
		}
		r.Weekday, r.Opens, r.Closes = time.Weekday(wd), int(opens), int(closes)
		sc.Hours = append(sc.Hours, r)
	}
	if err := rows.Err(); err != nil {
		return sc, err
	}
	rows, err = tx.Query(ctx, `SELECT id, day, name FROM holidays WHERE tenant_id = $1 AND number_id = $2 ORDER BY day`, tenantID, numberID)
	if err != nil {
		return sc, err
	}
	for rows.Next() {
		var h hours.Holiday
		var day time.Time
		if err := rows.Scan(&h.ID, &day, &h.Name); err != nil {
			return sc, err
		}
		h.Day = day.Format(hours.DayLayout)
		sc.Holidays = append(sc.Holidays, h)
	}
	return sc, rows.Err()
}

// hoursDetail is a week as the audit log keeps it: "1": "09:00-13:00, …".
func hoursDetail(tz string, rs []hours.Range) map[string]any {
	week := map[string]any{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if s := hours.FormatDay(d, rs); s != "" {
			week[d.String()] = s
		}
	}
	return map[string]any{"time_zone": tz, "hours": week}
}

// SetNumberHours replaces a number's time zone ("" for the tenant's) and
// its whole week of opening ranges at once, so a week is never half
// written. The ranges must pass hours.Validate (a FieldError otherwise).
func (s *Store) SetNumberHours(ctx context.Context, tenantID string, actor Actor, numberID, timeZone string, week []hours.Range) error {
	if !domain.ValidID(numberID) {
		return ErrNotFound
	}
	if timeZone != "" {
		if err := hours.CheckZone("time_zone", timeZone); err != nil {
			return err
		}
	}
	week = append([]hours.Range(nil), week...)
	if err := hours.Validate(week); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := readSchedule(ctx, tx, tenantID, numberID, true)
		if err != nil {
			return err
		}
		var phone string
		if err := tx.QueryRow(ctx, `UPDATE numbers SET time_zone = $3 WHERE tenant_id = $1 AND id = $2 RETURNING display_phone`,
			tenantID, numberID, timeZone).Scan(&phone); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM business_hours WHERE tenant_id = $1 AND number_id = $2`, tenantID, numberID); err != nil {
			return err
		}
		for _, r := range week {
			if _, err := tx.Exec(ctx, `INSERT INTO business_hours (tenant_id, number_id, weekday, opens, closes) VALUES ($1, $2, $3, $4, $5)`,
				tenantID, numberID, int(r.Weekday), r.Opens, r.Closes); err != nil {
				return err
			}
		}
		return audit(ctx, tx, tenantID, actor, "hours.set", phone, map[string]any{
			"before": hoursDetail(before.TimeZone, before.Hours), "after": hoursDetail(timeZone, week)})
	})
}

// errHolidayTaken refuses a second holiday on the same day.
var errHolidayTaken = &domain.FieldError{Field: "day", Key: "admin.hours.holiday_taken"}

// AddHoliday closes a number all day on a date (hours.CheckHoliday), with a
// name. A day that already is a holiday is a FieldError on "day".
func (s *Store) AddHoliday(ctx context.Context, tenantID string, actor Actor, numberID, day, name string) (string, error) {
	if !domain.ValidID(numberID) {
		return "", ErrNotFound
	}
	h, err := hours.CheckHoliday(day, name)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var phone string
		if err := tx.QueryRow(ctx, `SELECT display_phone FROM numbers WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
			tenantID, numberID).Scan(&phone); err != nil {
			return notFound(err)
		}
		err := tx.QueryRow(ctx, `INSERT INTO holidays (tenant_id, number_id, day, name) VALUES ($1, $2, $3::date, $4)
			ON CONFLICT (number_id, day) DO NOTHING RETURNING id`, tenantID, numberID, h.Day, h.Name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errHolidayTaken
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "hours.holiday_add", phone, map[string]any{
			"before": nil, "after": map[string]any{"day": h.Day, "name": h.Name}})
	})
	return id, err
}

// DeleteHoliday removes a holiday of a number; ErrNotFound when there is
// no such holiday on that number of the tenant.
func (s *Store) DeleteHoliday(ctx context.Context, tenantID string, actor Actor, numberID, holidayID string) error {
	if !domain.ValidID(numberID) || !domain.ValidID(holidayID) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var phone, name string
		var day time.Time
		err := tx.QueryRow(ctx, `DELETE FROM holidays h USING numbers n
			WHERE h.tenant_id = $1 AND h.number_id = $2 AND h.id = $3 AND n.id = h.number_id AND n.tenant_id = h.tenant_id
			RETURNING n.display_phone, h.day, h.name`, tenantID, numberID, holidayID).Scan(&phone, &day, &name)
		if err != nil {
			return notFound(err)
		}
		return audit(ctx, tx, tenantID, actor, "hours.holiday_delete", phone, map[string]any{
			"before": map[string]any{"day": day.Format(hours.DayLayout), "name": name}, "after": nil})
	})
}
