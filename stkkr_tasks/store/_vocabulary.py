"""The words an error message template may keep: AFAS's wording in Dutch and English, and ordinary words.

This is an allow-list. A word that is not here (and is not a field id or label of the stkkr's connectors)
is removed from a stored message, so a word that is missing only makes a template less readable; a word
that is here must never be a value worth hiding. Month and weekday names are left out on purpose (they are
parts of dates), and so are words that are also common first names.
"""

from __future__ import annotations

_DUTCH = """
aan aanmaken aangemaakt aangepast aangeven aanpassen aantal aanwezig achter actie actief activiteit adres
adressen af afdeling afgesloten akkoord al algemeen algemene alle alleen als altijd andere anders apart
autorisatie automatisch basis bedrag bedragen been begin begindatum behoort beide bekend bekende bericht
beschikbaar bestaan bestaand bestaande bestaat bestand betaling betreft bevat bezig bij bijlage bijwerken
binnen blokkeren boeken boeking bovenliggende buiten code codes combinatie controleer controle controleren
correct cursus daarom dat datum de debiteur definitief deze die dienst dienstverband dit doe doen door
dubbel dubbele dus e-mail e-mailadres echter een eenmaal eerst eerste eigen eind einddatum eindigt element
en enkel er geen gegeven gegevens geldig geldige geldt gelijk gemaakt genoeg gereed geslacht gevonden
gewijzigd gewijzigde groter gebeurd gebruik gebruiken gebruiker gebruikt geautoriseerd geblokkeerd
heeft hetzelfde het hier hoger hoort huidig huidige ingevoerd ingevoerde ingevuld in indien indienst
inkomen invoer is je kan kiezen kleiner komt kon kunnen kunt lang langer lege leeg leeftijd locatie
maar maximaal maximum meer melding met mag medewerker medewerkers minder minimaal minimum mislukt moet
moeten na naam namen naar negatief nieuw nieuwe niet niets nodig nog nooit nu nul nummer object objecten
of ofwel om omdat omgeving omschrijving ondersteund onbekend onbekende ongeldig ongeldige onjuist onjuiste
ook op opgegeven opgeslagen opnieuw opslaan organisatie organisaties over overlapt overlappen overlapping
periode persoon personen positief postcode probeer proberen profiel project projecten record records
regel regels relatie relaties reeds rooster salaris samen soort staat start startdatum status te tekens
tekst toe toegestaan toegevoegd toevoegen tot twee uit uitdienst uitgevoerd uur uren valt van vanaf
veld velden verplicht verwerken verwerkt verwijderd verwijderen verwijzing vergrendeld voer voor vooraf
voordat voorkomen vorige waarde waarden wanneer want was wat werd werkgever werknemer wijzigen wijziging
wordt worden zal zijn zie zonder zoals zou
aanvraag afwezigheid beëindigd beëindiging begroting beheerder bekijk beoordeling berekend berekening
beschikking bestemming betaald betalen bewaard bewaren blijft boekjaar buitenland cijfer cijfers contact
contactpersoon contract crediteur dag dagen dan decimalen doorgevoerd eerder einde enige eenheid factuur
fout foutmelding functie geboortedatum gebonden gekoppeld gekozen geldigheid genoemde geopend gesloten
getal getallen geweest gewerkt groep hebben heb hetgeen hoe hoeveelheid hun ingangsdatum ingesteld
inkoop instelling instellingen jaar jaren keer kenmerk koppeling kosten land later ligt lijst loopt
maand maanden mailadres max medewerkernummer min mogelijk naast neem nogmaals onder ongeldigheid
onderdeel ontbreekt ontbreken opgenomen opgegeven opmerking order overige pagina per percentage plaats
rekening rekeningnummer rol saldo sleutel tegelijk telefoonnummer termijn tijd tijdens toegang
uitgevoerd vastgelegd verlof verkoop verloopt verplichte versie verstreken vervallen volgende volgens
volgnummer voorwaarde vul waarin waarvoor week weken welke werk werkzaamheden woonplaats zelfde zich
zijn zit zoek zoeken zoeknaam overschrijdt overschreden budget filter filters geboorte achternaam
voornaam voorletters voorvoegsel woonadres postadres bankrekening liggen staan weg waar juist
voldoet voldoen mogen lukt invullen gevuld wijzigen verwijder vervolgens verder zelf zodat
administratie adresgegevens artikel artikelcode btw dagboek dienstverbanden dossier dossieritem
factuurnummer gebruikersnaam grootboekrekening kostendrager kostenplaats loon magazijn ordernummer taak
taken valuta verloning vestiging voorraad workflow werkgevers toegekend afgewezen goedgekeurd
"""

_ENGLISH = """
a about above access action active added address after again all allowed already also an and another
any are as at available be because been before being below between blocked both but by can cannot
changed character characters check code combination connector contains could create created current
date day days does doesn't done duplicate e-mail element else empty end entered error exist exists
expected failed field fields file first for found from general given greater has have higher if in
incorrect invalid is it its key keys later least less longer longest lower mandatory maximum may message
minimum missing more must negative new no not number object objects of on one only or other out over
period please positive record records required same saved should than that the there these this to too
try type unknown update updated use used user valid validation value values was were when which while
will with within without would wrong yet
account again agreement amount applies approved assigned balance boolean cannot changes chosen
closed company completed connection contract correct currency customer decimal decimals default
deleted department description different digits employee employees employment end ended exceeds
expired format integer internal issue item large later length limit linked locked long mail match
maximum modified month months multiple name needed not number numeric occurred open order outside part
person phone position possible process processed project provided range reference relation remove
removed request result same save select sent set short small start status step still supplied system
text time unexpected unique until unsupported version week weeks year years
absence address authorised authorized bank belongs city column country denied details entries entry
environment function invoice leave line lines log maintenance organisation organization payment
permission postal role row rows salary schedule scheduled service temporarily unavailable
"""

#: Lowercase words a template keeps.
WORDS: frozenset[str] = frozenset((_DUTCH + _ENGLISH).split())

_SENTENCE_STARTS = """
a an at de deze dit een er field for general geen het if in is na object please record the there this
veld voor waarde value
"""

_AFAS_TERMS = """
AFAS Profit UpdateConnector GetConnector UpdateConnectors GetConnectors Element Fields Objects
errorNumber profitLogReference externalMessage Medewerker Medewerkers Relatie Organisatie Persoon Project
Dienstverband Debiteur Crediteur Verlof Rooster Contract Salaris Bericht Melding Fout Algemene
IBAN BSN BTW KvK ID CAO
"""

#: Words a template keeps as written (capitalised AFAS terms and sentence starts).
CAPITALISED: frozenset[str] = frozenset(
    {word.capitalize() for word in _SENTENCE_STARTS.split()} | set(_AFAS_TERMS.split())
)

_PARTICLES = "de den der het 't te ten ter van von op in la le du da di del des dos el 'n"

#: Name particles: kept only where they do not join the parts of a name (`Piet de Boer` is one value).
PARTICLES: frozenset[str] = frozenset(_PARTICLES.split())
