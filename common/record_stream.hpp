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
// The result has exactly the records' size: they are read in batches and
// moved into it one batch at a time.
Result<std::vector<LineRecord>> read_records(std::istream& in, unsigned threads = 1);

// The same as two lists, the records and the line of each (what a block is
// made of, and where to point at a bad record).
struct RecordList {
    std::vector<Record> records;
    std::vector<std::size_t> lines;
    void reserve(std::size_t n);
};
Result<RecordList> read_record_list(std::istream& in, unsigned threads = 1);

// The same in the batches they were read in (a few thousand records each),
// for a caller that frees each batch once done with it.
struct RecordBatches {
    std::vector<std::vector<Record>> batches;
    std::vector<std::size_t> lines; // every record's, in order
    // The records as one vector, each batch freed once moved.
    std::vector<Record> flatten();
};
Result<RecordBatches> read_record_batches(std::istream& in, unsigned threads = 1);

// The records of the stream in batches of `batch_lines` (a few thousand),
// in order, each decoded on up to `threads` threads; stops at the first bad
// record (the error read_records returns), fn having had the records before
// it, or at the first error of fn.
constexpr std::size_t kRecordBatchLines = 4096;
Status each_record_batch(std::istream& in, unsigned threads,
                         const std::function<Status(std::vector<LineRecord>&&)>& fn,
                         std::size_t batch_lines = kRecordBatchLines);

// Calls fn for every JSON object of the stream, parsed strictly; stops at
// the first error, which names its line.
Status each_object(std::istream& in,
                   const std::function<Status(const rapidjson::Value& obj, std::size_t line)>& fn);

} // namespace setm
