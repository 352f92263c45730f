// LoopValidationListener: applies validation-state changes heard from a shared store (other
// instances on the same Redis) to every loop's ValidationCache, as cross-loop messages.
#pragma once
#include <string>

#include "auth/services.hpp"
#include "store/store.hpp"

namespace authd::auth {

// Called on the store's subscriber thread; never blocks (each change is a message per loop).
// Set it with store->set_change_listener() once the loops run: posts to a LoopGroup that has
// not started yet would be lost (the resync that follows set_change_listener covers them).
class LoopValidationListener final : public store::ChangeListener {
  public:
    explicit LoopValidationListener(Services& services) : services_(services) {}

    void on_session_revoked(const std::string& sid, int64_t expires_at) override;
    void on_token_version(int64_t user_id, uint32_t version) override;
    void on_user_removed(int64_t user_id) override;
    // Known to the legacy-token directory first, then version 0 on every loop.
    void on_imported_user(int64_t user_id, store::Role role, const std::string& username) override;
    void on_resync(const store::ValidationState& state) override;

  private:
    Services& services_;
};

}  // namespace authd::auth
