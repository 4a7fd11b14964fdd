import CSupport
import Foundation
import Numerics

/// Helper processes (the report's workers) end with the process that started them.
public enum ParentWatch {
    /// Has the kernel kill this process when its parent dies; exits at once if the parent
    /// `parent` is already gone (it may have died before the request was made).
    public static func dieWithParent(_ parent: Int32) {
        _ = cnninte_die_with_parent()
        if getppid() != parent { exit(1) }
    }
}
