// The dumpdata array splitter: a byte scanner that tracks strings and nesting depth only.
#include "tools/django_dump_reader.hpp"

namespace authd::tools {

int DjangoDumpReader::peek() {
    if (pos_ == len_) {
        len_ = std::fread(buf_.data(), 1, buf_.size(), file_);
        pos_ = 0;
        if (len_ == 0) return EOF;
    }
    return static_cast<unsigned char>(buf_[pos_]);
}

int DjangoDumpReader::get() {
    int c = peek();
    if (c != EOF) {
        ++pos_;
        ++offset_;
    }
    return c;
}

int DjangoDumpReader::skip_space() {
    int c = peek();
    while (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        get();
        c = peek();
    }
    return c;
}

// Copies one object, from its '{' to the matching '}', honouring strings and escapes.
bool DjangoDumpReader::copy_object(std::string& object, std::string& error) {
    object.clear();
    int depth = 0;
    bool in_string = false, escaped = false;
    while (true) {
        int c = get();
        if (c == EOF) {
            error = "the file ends inside element " + std::to_string(index_ + 1);
            return false;
        }
        if (object.size() >= max_object_size) {
            error = "element " + std::to_string(index_ + 1) + " is larger than " +
                    std::to_string(max_object_size) + " bytes";
            return false;
        }
        object.push_back(static_cast<char>(c));
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return true;
        }
    }
}

bool DjangoDumpReader::next(std::string& object, std::string& error) {
    error.clear();
    if (state_ == State::done) return false;
    auto fail = [&](std::string why) {
        error = std::move(why) + " (at byte " + std::to_string(offset_) + ")";
        state_ = State::done;
        return false;
    };
    if (state_ == State::start) {
        if (peek() == 0xEF) {  // a UTF-8 byte order mark
            for (int i = 0; i < 3; ++i) get();
        }
        if (skip_space() != '[') return fail("not a dumpdata file: it must be a JSON array");
        get();
        state_ = State::first;
    }
    int c = skip_space();
    if (c == ']' && (state_ == State::first || state_ == State::after_element)) {
        get();
        if (skip_space() != EOF) return fail("unexpected data after the array");
        state_ = State::done;
        return false;
    }
    if (state_ == State::after_element) {
        if (c != ',') return fail("expected ',' or ']' after element " + std::to_string(index_));
        get();
        c = skip_space();
    }
    if (c != '{') return fail("element " + std::to_string(index_ + 1) + " is not an object");
    if (!copy_object(object, error)) {
        state_ = State::done;
        return false;
    }
    state_ = State::after_element;
    ++index_;
    return true;
}

}  // namespace authd::tools
