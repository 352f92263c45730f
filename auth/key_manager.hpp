// auth/key_manager.hpp — the instance's signing keys over time: the stored ring loaded (or
// created) at start, rotated on request, re-read every half second so a rotation made by another
// instance on the same Redis is in use here within 1 s, and each loop handed its new KeySet.
#pragma once

#include <memory>
#include <string>

#include "auth/key_ring.hpp"
#include "auth/token_keys.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/store.hpp"

namespace authd::auth {

struct Services;

struct KeySettings {
    KeySetConfig set;
    std::string private_key_file;  // AUTHD_JWT_PRIVATE_KEY_FILE: that one key, nothing stored
};

enum class KeysStatus : uint8_t { ok, unavailable, refused };

struct RingLoad {
    KeysStatus status = KeysStatus::unavailable;
    KeyRing ring;
    std::string sealed;  // as stored ("" when there is none)
    std::string error;   // for the log, when status is not ok
};

// The stored ring; created (one fresh active key) when missing and `create` is true. With a
// private key file, that key alone (version 0), and the store is not read.
core::Task<RingLoad> load_key_ring(store::Store& store, const KeySettings& settings, bool create,
                                   int64_t now);
// Retires the active key and stores a ring with a new one (compare-and-set, retried when
// another instance changed the ring meanwhile). refused: keys come from a file.
core::Task<RingLoad> rotate_key_ring(store::Store& store, const KeySettings& settings, int64_t now);

std::shared_ptr<const KeySet> make_key_set(const KeySettings& settings, const KeyRing& ring,
                                           int64_t now);

// Every loop switches to `keys` (unless it already holds a newer ring version).
core::Task<void> spread_key_set(Services& s, std::shared_ptr<const KeySet> keys);
// Starts the periodic re-read on `home` (loop thread), `sealed` being what the loops use now.
void start_key_watch(Services& s, core::Loop& home, std::string sealed);

}  // namespace authd::auth
