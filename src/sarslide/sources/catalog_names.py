"""The default STAC catalogue and collections (no imports: configs name them cheaply)."""

PLANETARY_COMPUTER_STAC = "https://planetarycomputer.microsoft.com/api/stac/v1"
RTC_COLLECTION = "sentinel-1-rtc"
DEM_COLLECTION = "cop-dem-glo-30"
