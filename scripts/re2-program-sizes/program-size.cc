// Prints RE2's ProgramSize() for each pattern read from stdin, one pattern a line, compiled as Envoy
// compiles a safe_regex (RE2 with the Quiet options). Output: one line per pattern, the size, or
// "error <RE2's message>" for a pattern RE2 rejects.
#include <iostream>
#include <string>

#include "re2/re2.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    RE2 re(line, RE2::Quiet);
    if (re.ok()) {
      std::cout << re.ProgramSize() << "\n";
    } else {
      std::cout << "error " << re.error() << "\n";
    }
  }
  return 0;
}
