// auth/key_manager.cpp — loading, rotating and distributing the signing keys (see the header).
#include "auth/key_manager.hpp"

#include "auth/services.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace authd::auth {
namespace {

constexpr core::Millis watch_interval{500};  // a rotation elsewhere is in use here within 1 s

RingLoad failed(KeysStatus status, std::string error) {
    RingLoad r;
    r.status = status;
    r.error = std::move(error);
    return r;
}

RingLoad opened(const KeySettings& settings, std::string sealed) {
    RingLoad r;
    std::string error;
    std::optional<KeyRing> ring =
        open_key_ring(sealed, settings.set.secret, settings.set.fallbacks, error);
    if (!ring) return failed(KeysStatus::refused, error);
    r.status = KeysStatus::ok;
    r.ring = std::move(*ring);
    r.sealed = std::move(sealed);
    return r;
}

struct KeyWatch {
    Services* services = nullptr;
    core::Loop* home = nullptr;
    std::string sealed;  // the ring the loops were last given
    int64_t last_error_log = 0;
};

KeyWatch& key_watch() {
    static KeyWatch w;  // touched by the home loop only
    return w;
}

core::Task<void> look_for_changes(KeyWatch& w) {
    Services& s = *w.services;
    store::Result<std::string> sealed = co_await s.store->load_signing_keys();
    if (sealed.unavailable()) co_return;  // the loops keep their keys; try again later
    const int64_t now = core::wall_seconds();
    const std::string text = sealed.ok() ? *sealed : std::string();
    const KeySet& current = *s.contexts[static_cast<size_t>(w.home->index())]->keys;
    if (text == w.sealed && now < current.next_expiry()) co_return;
    KeyRing ring;
    if (!text.empty()) {
        RingLoad r = opened(s.keys, text);
        if (r.status != KeysStatus::ok) {
            if (now - w.last_error_log >= 60) {
                w.last_error_log = now;
                core::log_error("keys", "cannot use the stored signing keys: " + r.error);
            }
            co_return;
        }
        ring = std::move(r.ring);
    }
    std::shared_ptr<const KeySet> keys = make_key_set(s.keys, ring, now);
    if (!keys->valid()) co_return;
    w.sealed = text;
    co_await spread_key_set(s, std::move(keys));
}

void schedule_watch(KeyWatch& w) {
    w.home->add_timer(w.home->now() + watch_interval, [&w] {
        core::spawn([](KeyWatch& watch) -> core::Task<void> {
            co_await look_for_changes(watch);
            schedule_watch(watch);
        }(w));
    });
}

}  // namespace

core::Task<RingLoad> load_key_ring(store::Store& store, const KeySettings& settings, bool create,
                                   int64_t now) {
    if (!settings.private_key_file.empty()) {
        std::string error;
        std::optional<Ed25519Key> key = read_ed25519_pem(settings.private_key_file, error);
        if (!key) co_return failed(KeysStatus::refused, error);
        RingLoad r;
        r.status = KeysStatus::ok;
        r.ring.keys.push_back(std::move(*key));
        co_return r;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        store::Result<std::string> sealed = co_await store.load_signing_keys();
        if (sealed.unavailable())
            co_return failed(KeysStatus::unavailable, "the store did not answer");
        if (sealed.ok()) co_return opened(settings, std::move(*sealed));
        if (!create) co_return RingLoad{KeysStatus::ok, {}, {}, {}};
        KeyRing ring;
        ring.version = 1;
        ring.keys.push_back(new_ed25519_key(now));
        std::string fresh = seal_key_ring(ring, settings.set.secret);
        store::Done saved = co_await store.replace_signing_keys("", fresh);
        if (saved.ok()) {
            core::log_info("keys", "generated the first Ed25519 signing key",
                           {{"kid", ring.keys.back().kid}});
            co_return RingLoad{KeysStatus::ok, std::move(ring), std::move(fresh), {}};
        }
        if (saved.unavailable())
            co_return failed(KeysStatus::unavailable, "the store could not save the new key");
        // Another instance created the ring first: read theirs.
    }
    co_return failed(KeysStatus::unavailable, "the key ring kept changing");
}

core::Task<RingLoad> rotate_key_ring(store::Store& store, const KeySettings& settings,
                                     int64_t now) {
    if (!settings.private_key_file.empty()) {
        co_return failed(KeysStatus::refused,
                         "the signing key comes from AUTHD_JWT_PRIVATE_KEY_FILE; replace the file "
                         "to change it");
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        RingLoad current = co_await load_key_ring(store, settings, false, now);
        if (current.status != KeysStatus::ok) co_return current;
        RingLoad next;
        next.ring = rotated_key_ring(current.ring, now, settings.set.retired_lifetime);
        next.sealed = seal_key_ring(next.ring, settings.set.secret);
        store::Done saved = co_await store.replace_signing_keys(current.sealed, next.sealed);
        if (saved.ok()) {
            next.status = KeysStatus::ok;
            core::log_info("keys", "rotated the signing key",
                           {{"kid", next.ring.keys.back().kid},
                            {"version", std::to_string(next.ring.version)}});
            co_return next;
        }
        if (saved.unavailable())
            co_return failed(KeysStatus::unavailable, "the store could not save the new key");
    }
    co_return failed(KeysStatus::unavailable, "the key ring kept changing");
}

std::shared_ptr<const KeySet> make_key_set(const KeySettings& settings, const KeyRing& ring,
                                           int64_t now) {
    return std::make_shared<const KeySet>(settings.set, ring.keys, ring.version, now);
}

core::Task<void> spread_key_set(Services& s, std::shared_ptr<const KeySet> keys) {
    // Named, not a temporary in the co_await: GCC 12 destroys such closures twice.
    auto install = [&s, keys = std::move(keys)](core::Loop& l) {
        std::shared_ptr<const KeySet>& mine = s.contexts[static_cast<size_t>(l.index())]->keys;
        if (!mine || keys->ring_version() >= mine->ring_version()) mine = keys;
    };
    co_await s.loops->on_all(std::move(install));
}

void start_key_watch(Services& s, core::Loop& home, std::string sealed) {
    KeyWatch& w = key_watch();
    w.services = &s;
    w.home = &home;
    w.sealed = std::move(sealed);
    if (!s.keys.private_key_file.empty()) return;  // nothing stored to watch
    schedule_watch(w);
}

}  // namespace authd::auth
