//! Seeded training-time augmentation of beats and windows.
