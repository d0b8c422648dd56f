// The linearizability search (search.h), compiled once for each model the
// checker runs; every other file of the checker declares these instances
// extern (partition_checker.h), so a change to one of them does not recompile
// the search thirteen times.
#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

#define FAULTLINE_INSTANTIATE(M)                                                               \
    template Search<StateSpace<M>>::Search(std::span<const SearchOp>, StateSpace<M>&, Limits); \
    template Outcome Search<StateSpace<M>>::run(std::uint64_t, std::span<const std::uint32_t>, bool);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
