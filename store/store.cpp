// The thread's record of whether its last store call went unanswered (see store.hpp).
#include "store/store.hpp"

namespace authd::store {
namespace {
thread_local bool last_failed = false;
}

bool last_call_failed() {
    return last_failed;
}

void set_last_call_failed(bool failed) {
    last_failed = failed;
}

}  // namespace authd::store
