-- Every person of the wave with the KBI profile (art. 3) and, when VDAB returned a row for them, the VDAB attributes
-- (art. 3). Grain: one row per person (INSZ on the reference date). A person missing from the enriched file keeps
-- their row with `in_verrijking` false and empty VDAB attributes: reported, not dropped.
select
    personen.insz,
    personen.leeftijdscategorie,
    personen.geslacht,
    personen.scholingsniveau,
    personen.oudste_nationaliteit,
    personen.datum_toeleiding_vdab,
    personen.doelgroep,
    personen.datum_doelgroep,
    personen.datum_aanmelding,
    personen.datum_inburgeringscontract,
    personen.kbi_regio,
    personen.plo_besluit,
    personen.plo_reden_besluit,
    personen.ingeschat_taalleervermogen,
    personen.hoogst_behaald_niveau_nt2,
    personen.trajecttype,
    personen.toeleiding_diplomagelijkschakeling,
    personen.resultaat_diplomagelijkschakeling,
    personen.heeft_ocmw_leefloon,
    personen.verblijfsstatus,
    verrijking.insz is not null as in_verrijking,
    verrijking.gekend_bij_vdab,
    verrijking.eerste_inschrijving,
    verrijking.meest_recente_inschrijving,
    verrijking.huidige_categorie_werkzoekende,
    verrijking.huidige_categorie_werkzoekende_omschrijving,
    verrijking.status_dienstverlening,
    {%- for actietype in vdab_actietypen() %}
        verrijking.heeft_actie_{{ actietype }},
        verrijking.aantal_acties_{{ actietype }},
        verrijking.eerste_start_actie_{{ actietype }},
    {%- endfor %}
    verrijking.uitstroom_naar_werk,
    verrijking.uitstroom_naar_werk_binnen_6_maanden,
    verrijking.uitstroom_naar_werk_binnen_12_maanden
from {{ ref('int_kbi_personen_op_peildatum') }} as personen
left join {{ ref('int_verrijking_per_persoon') }} as verrijking
    on personen.insz = verrijking.insz
