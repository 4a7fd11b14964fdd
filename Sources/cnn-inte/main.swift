import CLI
import Foundation

exit(CNNInte.main(arguments: Array(CommandLine.arguments.dropFirst())))
