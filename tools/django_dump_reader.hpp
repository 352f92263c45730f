// DjangoDumpReader: cuts the top-level JSON array that `manage.py dumpdata` writes into its
// objects, reading the file in fixed chunks, so memory stays bounded whatever the file's size.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace authd::tools {

class DjangoDumpReader {
  public:
    static constexpr size_t chunk_size = 1 << 20;
    static constexpr size_t max_object_size = 1 << 20;  // one record; beyond it: an error

    explicit DjangoDumpReader(FILE* file) : file_(file), buf_(chunk_size, '\0') {}

    // The next element's bytes (a JSON object, not yet parsed) into `object`: true; false at
    // the end of the array, with `error` set when the file is not such an array (or an element
    // is not an object, or is larger than max_object_size). Only the array's framing is
    // checked here; the objects are parsed by the caller.
    bool next(std::string& object, std::string& error);

    uint64_t offset() const { return offset_; }  // bytes consumed so far
    uint64_t index() const { return index_; }    // elements returned so far

  private:
    int peek();  // next byte or EOF, without consuming it
    int get();
    int skip_space();  // peek past whitespace
    bool copy_object(std::string& object, std::string& error);

    FILE* file_;
    std::string buf_;
    size_t pos_ = 0, len_ = 0;
    uint64_t offset_ = 0, index_ = 0;
    enum class State { start, first, after_element, done } state_ = State::start;
};

}  // namespace authd::tools
