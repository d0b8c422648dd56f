#include "base/result.h"

namespace faultline {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::invalid_argument: return "invalid argument";
        case ErrorCode::parse_error: return "parse error";
        case ErrorCode::io_error: return "I/O error";
        case ErrorCode::not_found: return "not found";
        case ErrorCode::corruption: return "corruption";
        case ErrorCode::disk_full: return "disk full";
        case ErrorCode::unsupported: return "unsupported";
        case ErrorCode::timeout: return "timeout";
    }
    FL_UNREACHABLE();
}

}  // namespace faultline
