package app

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
)

// Custom contact fields from the command line, until administrators manage
// them in the settings page: the definitions agents fill in on the contact
// panel (docs/operations.md, "Contact fields").

const contactFieldUsage = `Usage: switchboard contact field ACTION --tenant SLUG [flags]

The custom fields agents fill in on the contact panel. Actions:

  define  --key KEY --label LABEL --kind text|number|date|choice
          [--choices "A,B,C"] [--position N]
                       add a field, or change its label, kind, choices or
                       position (refused when stored values would not fit)
  list                 the fields in the panel's order
  delete  --key KEY    delete a field and every contact's value of it`

func contactField(e env, args []string) int {
	return runActions(e, "contact field", contactFieldUsage, args, []subAction{
		{"define", contactFieldDefine}, {"list", contactFieldList}, {"delete", contactFieldDelete},
	})
}

func contactFieldDefine(e env, args []string) int {
	const cmd = "contact field define"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard contact field define --tenant SLUG --key KEY --label LABEL --kind text|number|date|choice [--choices \"A,B\"] [--position N]\n\nAdds a custom contact field, or changes an existing one (same --key). Values already stored must fit the new kind and choices, else the change is refused: delete the field first.")
	key := fs.String("key", "", "1 to 32 lowercase letters, digits or _, e.g. shoe_size (required)")
	label := fs.String("label", "", "what agents read, 1 to 100 characters (required)")
	kind := fs.String("kind", "", "text, number, date or choice (required)")
	choices := fs.String("choices", "", "for --kind choice: the values, comma-separated")
	position := fs.Int("position", 0, "order on the panel, smaller first, -1000 to 1000")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--key": key, "--label": label, "--kind": kind}); !ok {
		return code
	}
	f := storage.ContactField{Key: *key, Label: *label, Kind: strings.TrimSpace(*kind), Position: *position}
	if *choices != "" {
		f.Choices = strings.Split(*choices, ",")
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		created, err := d.store.DefineContactField(e.ctx, t.ID, cliActor, f)
		if errors.Is(err, storage.ErrFieldInUse) {
			fmt.Fprintf(e.stderr, "switchboard %s: %s\n", cmd, i18n.Translate(i18n.English, storage.ErrFieldInUse.Key))
			return exitError
		}
		flags := map[string]string{"key": "--key", "label": "--label", "kind": "--kind", "choices": "--choices", "position": "--position"}
		if code := reportFieldError(e, cmd, err, flags); code != exitOK {
			return code
		}
		verb := "changed"
		if created {
			verb = "defined"
		}
		fmt.Fprintf(e.stdout, "field %s %s\n", strings.TrimSpace(*key), verb)
		return exitOK
	})
}

func contactFieldList(e env, args []string) int {
	const cmd = "contact field list"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard contact field list --tenant SLUG\n\nLists the custom contact fields in the order the panel shows them: position, key, kind, label and choices.")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		fields, err := d.store.ListContactFields(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		if len(fields) == 0 {
			fmt.Fprintln(e.stdout, "no contact fields")
			return exitOK
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "POSITION\tKEY\tKIND\tLABEL\tCHOICES")
		for _, f := range fields {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.Position, f.Key, f.Kind, f.Label, strings.Join(f.Choices, ", "))
		}
		_ = tw.Flush()
		return exitOK
	})
}

func contactFieldDelete(e env, args []string) int {
	const cmd = "contact field delete"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard contact field delete --tenant SLUG --key KEY\n\nDeletes a custom contact field and every contact's value of it, at once.")
	key := fs.String("key", "", "the field's key (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--key": key}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		cleared, err := d.store.DeleteContactField(e.ctx, t.ID, cliActor, strings.TrimSpace(*key))
		if errors.Is(err, storage.ErrNotFound) {
			fmt.Fprintf(e.stderr, "switchboard %s: --key: no contact field %q in tenant %s\n", cmd, strings.TrimSpace(*key), t.Slug)
			return exitUsage
		} else if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "field %s deleted (%d values cleared)\n", strings.TrimSpace(*key), cleared)
		return exitOK
	})
}
