enum LaunchConfigPlaceholder {}
