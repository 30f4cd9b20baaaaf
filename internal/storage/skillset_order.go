package storage

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A number's skillsets in serving order, and moving one of them up or down
// in a single transaction: the page's arrows used to write each changed
// link on its own, so an interrupted move left half an order behind, the
// log a line per link and the router a reload per link.

// NumberLink is a skillset linked to a number, with its skillset priority.
type NumberLink struct {
	SkillsetID string
	Name       string
	Priority   int
}

// SortNumberLinks puts links in serving order: skillset priority, larger
// first, then name (case folded), then id, so the order is total and the
// page shows the order the router follows.
func SortNumberLinks(links []NumberLink) {
	slices.SortFunc(links, func(a, b NumberLink) int {
		if a.Priority != b.Priority {
			return cmp.Compare(b.Priority, a.Priority)
		}
		if c := cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.SkillsetID, b.SkillsetID)
	})
}

// ReorderedPriorities gives the links, wanted in the order given, the
// priorities that make SortNumberLinks put them in that order. It keeps the
// priorities the links have, handed out again in the new order, when that
// is enough (two links of different priorities swap them); where ties or
// names would still decide, it renumbers every link 10 apart from the top,
// since an order chosen by hand is one the router must then follow.
func ReorderedPriorities(order []NumberLink) map[string]int {
	values := make([]int, len(order))
	for i, l := range order {
		values[i] = l.Priority
	}
	slices.SortFunc(values, func(a, b int) int { return cmp.Compare(b, a) })
	if out, ok := assignPriorities(order, func(i int) int { return values[i] }); ok {
		return out
	}
	top := min(10*len(order), MaxPriority)
	out, _ := assignPriorities(order, func(i int) int { return max(top-10*i, -MaxPriority) })
	return out
}

// assignPriorities gives the i-th link of order priority(i) and says
// whether serving order then is order.
func assignPriorities(order []NumberLink, priority func(int) int) (map[string]int, bool) {
	out := make(map[string]int, len(order))
	check := make([]NumberLink, len(order))
	for i, l := range order {
		out[l.SkillsetID] = priority(i)
		check[i] = NumberLink{SkillsetID: l.SkillsetID, Name: l.Name, Priority: out[l.SkillsetID]}
	}
	SortNumberLinks(check)
	for i := range check {
		if check[i].SkillsetID != order[i].SkillsetID {
			return out, false
		}
	}
	return out, true
}

// MoveNumberSkillset moves a skillset linked to a number one place up (or
// down) in the number's serving order. The links' new priorities, one audit
// entry with the order before and after, and one router reload are written
// in one transaction; moving the first up or the last down changes nothing
// and reports false. ErrNotFound when the skillset does not serve the
// number.
func (s *Store) MoveNumberSkillset(ctx context.Context, tenantID string, actor Actor, numberID, skillsetID string, up bool) (bool, error) {
	if err := checkRoutingID("number", numberID); err != nil {
		return false, err
	}
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return false, err
	}
	moved := false
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// The number's row lock makes two moves on it take turns, so each
		// starts from the order the other left; FOR NO KEY UPDATE leaves
		// messages and links free to reference the number meanwhile.
		var phone string
		if err := tx.QueryRow(ctx, `SELECT display_phone FROM numbers WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			tenantID, numberID).Scan(&phone); err != nil {
			return notFound(err)
		}
		links, err := numberLinksForUpdate(ctx, tx, tenantID, numberID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(links, func(l NumberLink) bool { return l.SkillsetID == skillsetID })
		if i < 0 {
			return ErrNotFound
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(links) {
			return nil // already first or last
		}
		order := slices.Clone(links)
		order[i], order[j] = order[j], order[i]
		want := ReorderedPriorities(order)
		after := make([]NumberLink, len(order))
		for k, l := range order {
			after[k] = NumberLink{SkillsetID: l.SkillsetID, Name: l.Name, Priority: want[l.SkillsetID]}
			if after[k].Priority == l.Priority {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE number_skillsets SET priority = $4
				WHERE tenant_id = $1 AND number_id = $2 AND skillset_id = $3`, tenantID, numberID, l.SkillsetID, after[k].Priority); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.number_reorder", phone, map[string]any{
			"skillset": links[i].Name, "direction": map[bool]string{true: "up", false: "down"}[up],
			"before": linkOrderDetail(links), "after": linkOrderDetail(after)}); err != nil {
			return err
		}
		moved = true
		return configReload(ctx, tx, tenantID, actor)
	})
	return moved, err
}

// numberLinksForUpdate reads a number's links in serving order, locked.
func numberLinksForUpdate(ctx context.Context, tx pgx.Tx, tenantID, numberID string) ([]NumberLink, error) {
	rows, err := tx.Query(ctx, `SELECT l.skillset_id, s.name, l.priority
		FROM number_skillsets l JOIN skillsets s ON s.id = l.skillset_id AND s.tenant_id = l.tenant_id
		WHERE l.tenant_id = $1 AND l.number_id = $2 FOR UPDATE OF l`, tenantID, numberID)
	if err != nil {
		return nil, err
	}
	links, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (NumberLink, error) {
		var l NumberLink
		err := row.Scan(&l.SkillsetID, &l.Name, &l.Priority)
		return l, err
	})
	SortNumberLinks(links)
	return links, err
}

// linkOrderDetail is an order as the audit log keeps it: names and
// priorities, first served first.
func linkOrderDetail(links []NumberLink) []map[string]any {
	out := make([]map[string]any, len(links))
	for i, l := range links {
		out[i] = map[string]any{"skillset": l.Name, "priority": l.Priority}
	}
	return out
}
