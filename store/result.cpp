// Names of the store's answers, for logs.
#include "store/result.hpp"

namespace authd::store {

std::string_view answer_name(Answer a) {
    switch (a) {
        case Answer::ok:
            return "ok";
        case Answer::not_found:
            return "not_found";
        case Answer::refused:
            return "refused";
        case Answer::unavailable:
            break;
    }
    return "unavailable";
}

}  // namespace authd::store
