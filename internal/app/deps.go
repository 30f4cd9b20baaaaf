package app

import (
	"context"
	"fmt"
	"runtime"
	"switchboard/internal/number"
	"switchboard/internal/secrets"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
	"switchboard/internal/config"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
)

// deps are the connections and services a command works with.
type deps struct {
	pool    *pgxpool.Pool
	store   *storage.Store
	hasher  *auth.Hasher
	tenants *tenant.Service
	numbers *number.Service
}

// openDB connects to Postgres as the application role.
func openDB(ctx context.Context, cfg config.Config) (*deps, error) {
	pool, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("Postgres at DATABASE_URL is unreachable: %w", err)
	}
	store := storage.New(pool)
	hasher := auth.NewHasher(runtime.GOMAXPROCS(0))
	box, err := secrets.New(cfg.SecretKey)
	if err != nil {
		pool.Close()
		return nil, err
	}
	numbers := number.NewService(store, box)
	numbers.PlatformAppID = cfg.MetaAppID
	return &deps{pool: pool, store: store, hasher: hasher, tenants: tenant.NewService(store, hasher),
		numbers: numbers}, nil
}

func (d *deps) close() { d.pool.Close() }

// openRedis connects to Redis; it is not pinged, so serve can start (and
// report not-ready) while Redis is down.
func openRedis(cfg config.Config) (*redis.Client, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opts), nil
}

// migrateUp applies pending migrations as the role DATABASE_URL names.
func migrateUp(cfg config.Config) error {
	m, err := storage.NewMigrator(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}
