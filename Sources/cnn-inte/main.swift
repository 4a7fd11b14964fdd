import CLI
import Numerics
import OutputFolders
import Report
import Foundation

// Ctrl-C and SIGTERM clean up after themselves; set before any thread starts.
Interruption.install()
// A report worker started by this executable (see ReportWorker), before any parsing.
if let status = ReportWorker.runIfWorker(Array(CommandLine.arguments.dropFirst())) { exit(status) }
exit(CNNInte.main(arguments: Array(CommandLine.arguments.dropFirst())))
