// record_stream.hpp - reading typed records from a JSON stream, naming the
// line of any bad one.
#pragma once

#include <functional>
#include <istream>
#include <vector>

#include "records.hpp"
#include "stream.hpp"

namespace setm {

struct LineRecord {
    Record record;
    std::size_t line = 0;
};

// Reads every record of the stream; the first bad one is an error naming its
// line (and, when it parsed that far, its type and id). The text is split
// into records on the calling thread and each is parsed and decoded on up
// to `threads` threads; the result and the error are the same for any
// thread count.
Result<std::vector<LineRecord>> read_records(std::istream& in, unsigned threads = 1);

// Calls fn for every JSON object of the stream, parsed strictly; stops at
// the first error, which names its line.
Status each_object(std::istream& in,
                   const std::function<Status(const rapidjson::Value& obj, std::size_t line)>& fn);

} // namespace setm
