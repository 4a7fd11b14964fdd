import CLI
import Numerics
import Foundation

// Ctrl-C and SIGTERM clean up after themselves; set before any thread starts.
Interruption.install()
exit(CNNInte.main(arguments: Array(CommandLine.arguments.dropFirst())))
