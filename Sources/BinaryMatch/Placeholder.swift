// Placeholder until issue 6 lands.
public enum BinaryMatchPlaceholder {}
